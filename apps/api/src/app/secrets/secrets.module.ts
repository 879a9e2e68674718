import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SecretBox } from './secret-box';
import { resolveSecretsKey } from './secrets-key';

/** The SecretBox every feature that stores a secret seals and opens it with (SECRETS_KEY, or DATA_DIR/secrets-key on SQLite). */
@Global()
@Module({
  providers: [
    {
      provide: SecretBox,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new SecretBox(resolveSecretsKey(config)),
    },
  ],
  exports: [SecretBox],
})
export class SecretsModule {}
