import { describe, expect, it } from 'vitest';
import { parseDestination } from './index.js';

describe('DEST', () => {
  it('host[:port]/repo[:tag]', () => {
    expect(parseDestination('127.0.0.1:5000/team/app:1.0')).toEqual({ registry: '127.0.0.1:5000', repository: 'team/app', tag: '1.0', name: '127.0.0.1:5000/team/app' });
    expect(parseDestination('registry.example.com/app')).toEqual({ registry: 'registry.example.com', repository: 'app', name: 'registry.example.com/app' });
    expect(parseDestination('docker://localhost:5000/app:x').tag).toBe('x');
  });
  it('refuses a digest, a name without a registry host, and nonsense', () => {
    expect(() => parseDestination(`r.example.com/app@sha256:${'a'.repeat(64)}`)).toThrow(/not a digest/);
    expect(() => parseDestination('app:1')).toThrow(/name the registry host/);
    expect(() => parseDestination('team/app:1')).toThrow(/name the registry host/);
    expect(() => parseDestination('r.example.com/UPPER:1')).toThrow(/invalid image reference/);
  });
});
