// ESLint (flat config): the project's boundaries and the promise/unused-code rules, in `npm run lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** What the framework-free core may never import (STYLE C3). */
const CORE_BANNED = [
  { group: ['@nestjs/*', 'typeorm', 'typeorm/*', 'pg', 'pg-*', 'fastify', '@fastify/*', '@electric-sql/*'], message: 'src/core is framework-free (STYLE C3)' },
  { group: ['node:fs', 'node:fs/*', 'node:net', 'node:http', 'node:https', 'node:child_process', 'fs', 'net', 'http', 'https', 'child_process'], message: 'src/core does no I/O (STYLE C3)' },
  { group: ['src/storage/*', 'src/ingest/*', 'src/query/*', 'src/api/*', 'src/auth/*', 'src/http/*', 'src/scrape/*', 'src/telemetry/*', 'src/config/*'], message: 'the core never imports the shell' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      curly: 'error',
      eqeqeq: ['error', 'always'],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-require-imports': 'error',
      // Binary-safe keys and the exposition format use control characters in patterns on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/**/*.spec.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: CORE_BANNED }] },
  },
  {
    files: ['src/**/*.controller.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['src/storage/*.repository', 'src/auth/*.repository'], message: 'controllers call services, never repositories (STYLE C4)' }] },
      ],
    },
  },
);
