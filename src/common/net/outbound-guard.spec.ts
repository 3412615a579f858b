import { OutboundGuard } from './outbound-guard';

function resolve(guard: OutboundGuard, host: string): Promise<string> {
  return new Promise((res, rej) => guard.lookup(host, {}, (err, address) => (err ? rej(err) : res(address as string))));
}

describe(OutboundGuard.name, () => {
  const sut = new OutboundGuard('');

  it.each([
    'http://127.0.0.1/x',
    'http://10.1.2.3/',
    'http://169.254.169.254/latest/meta-data',
    'http://[::1]:8080/',
    'http://192.168.1.1',
    'http://[fd00:ec2::254]/',
  ])('refuses the literal private address in %s', (url) =>
    expect(() => sut.checkUrl(url)).toThrow(/private, loopback or link-local/),
  );

  it('refuses other protocols and accepts public addresses', () => {
    expect(() => sut.checkUrl('ftp://example.com/')).toThrow(/only http and https/);
    expect(() => sut.checkUrl('file:///etc/passwd')).toThrow(/only http and https/);
    expect(() => sut.checkUrl('https://93.184.216.34/hook')).not.toThrow();
  });

  it('refuses a name that resolves to loopback at connect time', async () => {
    await expect(resolve(sut, 'localhost')).rejects.toThrow(/resolves to a private, loopback or link-local address/);
  });

  it('lets the allow-list through by host, by IP and by CIDR', async () => {
    expect(await resolve(new OutboundGuard('localhost'), 'localhost')).toMatch(/^(127\.0\.0\.1|::1)$/);
    expect(await resolve(new OutboundGuard('127.0.0.1'), '127.0.0.1')).toBe('127.0.0.1');
    expect(await resolve(new OutboundGuard('127.0.0.0/8'), '127.0.0.1')).toBe('127.0.0.1');
    expect(() => new OutboundGuard('10.0.0.0/8').checkUrl('http://10.9.9.9/')).not.toThrow();
  });
});
