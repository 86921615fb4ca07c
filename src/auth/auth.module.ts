import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { StorageModule } from 'src/storage/storage.module';
import { AuthGuard } from 'src/auth/auth.guard';
import { TokenVerifier } from 'src/auth/token-verifier.service';
import { RevocationService } from 'src/auth/revocation.service';
import { TokenRepository } from 'src/auth/token.repository';
import { TokenService } from 'src/auth/token.service';
import { TokenAdminController } from 'src/auth/token-admin.controller';

/**
 * Token auth and tenants (DESIGN §6). Registers AuthGuard as the global guard, so every route of
 * every module is covered; with no verification key configured the guard lets everything through.
 */
@Module({
  imports: [StorageModule],
  controllers: [TokenAdminController],
  providers: [{ provide: APP_GUARD, useClass: AuthGuard }, TokenVerifier, RevocationService, TokenRepository, TokenService],
})
export class AuthModule {}
