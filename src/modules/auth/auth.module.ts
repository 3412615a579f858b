import { Global, Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { AppConfig } from '@/config/app-config';
import { AdminUserRepository } from './admin-user.repository';
import { ApiKeyRepository } from './api-key.repository';
import { AuthController } from './auth.controller';
import { AdminAuthGuard, ClientAuthGuard } from './auth.guards';
import { AuthService } from './auth.service';
import { LoginThrottleService } from './login-throttle.service';

@Global()
@Module({
  imports: [
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
  exports: [AuthService, ClientAuthGuard, AdminAuthGuard],
})
export class AuthModule {}
