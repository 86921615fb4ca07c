/** DI token for the opened Database (see database.ts). */
export const DATABASE = Symbol('DATABASE');
