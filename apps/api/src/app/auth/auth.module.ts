import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createSecretKey } from 'node:crypto';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { User } from '../users/entities/user.entity';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { RefreshToken } from './entities/refresh-token.entity';
import { resolveJwtSecret } from './jwt-secret';
import { LoginThrottle } from './login-throttle';
import { PasswordHasher } from './password-hasher';
import { PrincipalValidity } from './principal-validity';
import { RequestAuthenticator } from './request-authenticator';
import { Sessions } from './sessions';

@Global()
@Module({
  imports: [
    TypeOrmModule.forFeature([User, RefreshToken]),
    ApiKeysModule,
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        // A KeyObject: given a string, jsonwebtoken first tries (and fails) to parse it as a public key on every verify.
        secret: createSecretKey(Buffer.from(resolveJwtSecret(config.dataDir, config.jwtSecret))) as unknown as string,
        signOptions: { expiresIn: config.accessTokenTtlSec, algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [AuthService, PasswordHasher, LoginThrottle, Sessions, RequestAuthenticator, PrincipalValidity, { provide: APP_GUARD, useClass: AuthGuard }],
  // One PasswordHasher for the whole application: its queue bounds the hashes running at once.
  exports: [AuthService, PasswordHasher, Sessions, RequestAuthenticator, PrincipalValidity],
})
export class AuthModule {}
