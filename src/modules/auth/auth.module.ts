import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { AppConfig } from '@/config/app-config';
import { AuditModule } from '@/modules/audit/audit.module';
import { LimitsModule } from '@/modules/limits/limits.module';
import { AdminUserRepository } from './admin-user.repository';
import { ApiKeyRepository } from './api-key.repository';
import { AuthController } from './auth.controller';
import { AdminAuthGuard, ClientAuthGuard } from './auth.guards';
import { AuthService } from './auth.service';
import { LoginThrottleService } from './login-throttle.service';

/**
 * Authentication for every surface. The guards run in the module of the controller they protect, so importing this
 * module brings what they need with it: AuthService, and the request rate limit (LimitsModule, re-exported).
 */
@Module({
  imports: [
    AuditModule,
    LimitsModule,
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        secret: config.get('JWT_SECRET'),
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [
    AuthService,
    AdminUserRepository,
    ApiKeyRepository,
    LoginThrottleService,
    ClientAuthGuard,
    AdminAuthGuard,
  ],
  exports: [AuthService, ClientAuthGuard, AdminAuthGuard, LimitsModule],
})
export class AuthModule {}
