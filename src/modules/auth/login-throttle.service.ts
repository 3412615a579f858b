import { Injectable } from '@nestjs/common';
import { RateLimitedError } from '@/common/errors/app-error';
import { RedisService } from '@/common/redis/redis.service';

/**
 * Login attempts allowed per username from one address, and per address over all usernames, inside the window. The
 * username is only ever counted together with the address, so failures from elsewhere cannot lock a user out (an
 * attacker who knows the admin's name would otherwise lock the real admin out, again and again). A success clears
 * the pair's count and takes its own attempt back from the address, so only failures add up there.
 */
export const LOGIN_MAX_ATTEMPTS_PER_USERNAME = 5;
export const LOGIN_MAX_ATTEMPTS_PER_ADDRESS = 20;
export const LOGIN_WINDOW_SECONDS = 15 * 60;

/** Counts both keys and answers the larger overshoot's wait, in one step so concurrent guesses cannot slip through. */
const ATTEMPT = `
local wait = 0
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('EXPIRE', key, ARGV[3]) end
  if count > tonumber(ARGV[i]) then wait = math.max(wait, redis.call('TTL', key)) end
end
return wait
`;

/** Admin login attempts counted in Redis, so every API replica sees the same counts. */
@Injectable()
export class LoginThrottleService {
  constructor(private readonly redis: RedisService) {}

  /** Counts the attempt before the password is checked; over the limit, answers 429 without checking it. */
  async attempt(username: string, address: string): Promise<void> {
    const wait = (await this.redis.client.eval(
      ATTEMPT,
      2,
      ...this.keys(username, address),
      LOGIN_MAX_ATTEMPTS_PER_USERNAME,
      LOGIN_MAX_ATTEMPTS_PER_ADDRESS,
      LOGIN_WINDOW_SECONDS,
    )) as number;
    if (wait > 0) {
      throw new RateLimitedError(
        `Too many failed login attempts; try again in ${wait} seconds`,
        wait,
        'LOGIN_THROTTLED',
      );
    }
  }

  async succeeded(username: string, address: string): Promise<void> {
    const [byUser, byAddress] = this.keys(username, address);
    await this.redis.client.multi().del(byUser).decr(byAddress).exec();
  }

  private keys(username: string, address: string): [string, string] {
    return [
      this.redis.key('login-attempts', 'user-at-addr', address, username.toLowerCase()),
      this.redis.key('login-attempts', 'addr', address),
    ];
  }
}
