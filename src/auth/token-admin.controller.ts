import { Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { IssuedTokenResponse, TokenMetadata, TokenService } from 'src/auth/token.service';
import { principalOf } from 'src/auth/request-principal';

/** Token management (`admin` scope; 404 while auth is off). */
@Controller('api/v1/admin/tokens')
export class TokenAdminController {
  constructor(private readonly tokens: TokenService) {}

  @Post()
  @HttpCode(201)
  issue(@Req() req: FastifyRequest): Promise<IssuedTokenResponse> {
    return this.tokens.issue(principalOf(req), req.body);
  }

  @Get()
  list(@Req() req: FastifyRequest): Promise<{ tokens: TokenMetadata[] }> {
    return this.tokens.list(principalOf(req));
  }

  @Delete(':id')
  @HttpCode(204)
  revoke(@Req() req: FastifyRequest, @Param('id') id: string): Promise<void> {
    return this.tokens.revoke(principalOf(req), id);
  }
}
