import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';

const SMALLEST = `advisoryDb: /path/to/shipshape.db     # watched: a new build (new digest) starts a re-match round
watch:
  - registry: 127.0.0.1:5000
    insecure: true                    # plain HTTP, as --insecure-registry
    repositories: ["apps/*"]
    tags: ["*"]
`;

describe('monitor config', () => {
  it('the smallest config of the issue reads exactly as given, with defaults for the rest', () => {
    const c = parseConfig(SMALLEST, '/etc/shipshape/monitor.yaml');
    expect(c.advisoryDb).toBe('/path/to/shipshape.db');
    expect(c.watch).toEqual([{ registry: '127.0.0.1:5000', insecure: true, repositories: ['apps/*'], tags: ['*'] }]);
    expect(c.intervalMs).toBe(15 * 60e3);
    expect(c.dbPollMs).toBe(60e3);
    expect(c.dbUpdate).toEqual({ everyMs: 6 * 3600e3 });
    expect(c.failOn).toBe('critical');
    expect(c.alerts).toEqual([]);
    expect(c.workers).toBe(2);
    expect(c.imageChecks).toEqual(['stale-image', 'outdated-base']);
    expect(c.maxImageAgeMs).toBe(90 * 86400e3);
    expect(c.store).toBeUndefined();
  });

  it('relative paths are read against the config file; a postgres URL is kept as is', () => {
    const c = parseConfig('advisoryDb: db/shipshape.db\nstore: postgres://u@db:5432/monitor\npolicy: shipshape.yaml\ncluster:\n  pods: pods.json\ndbUpdate: false\n', '/srv/m/monitor.yaml');
    expect([c.advisoryDb, c.store, c.policy, c.cluster.pods, c.dbUpdate]).toEqual(['/srv/m/db/shipshape.db', 'postgres://u@db:5432/monitor', '/srv/m/shipshape.yaml', '/srv/m/pods.json', false]);
    expect(parseConfig('advisoryDb: a\nstore: data/m.db\n', '/srv/m/monitor.yaml').store).toBe('/srv/m/data/m.db');
  });

  const bad: Array<[string, string, RegExp]> = [
    ['unknown key', SMALLEST.replace('insecure:', 'insecur:'), /^m\.yaml:4:5: unknown key "insecur" in watch\[0\] \(known: registry, insecure, repositories/],
    ['unknown top-level key', `${SMALLEST}color: blue\n`, /^m\.yaml:7:1: unknown key "color" \(known: advisoryDb, watch/],
    ['missing advisoryDb', 'watch: []\n', /^m\.yaml:1:1: missing "advisoryDb"$/],
    ['missing registry', 'advisoryDb: x\nwatch:\n  - repositories: [a]\n', /^m\.yaml:3:5: missing "registry" in watch\[0\]$/],
    ['wrong type', 'advisoryDb: x\nwatch:\n  - registry: r\n    insecure: "yes"\n    repositories: [a]\n', /^m\.yaml:4:15: watch\[0\]\.insecure must be a boolean, not string$/],
    ['repositories not a list', 'advisoryDb: x\nwatch:\n  - registry: r\n    repositories: apps/*\n', /^m\.yaml:4:19: watch\[0\]\.repositories must be a list, not string$/],
    ['bad registry host', 'advisoryDb: x\nwatch:\n  - registry: http://r:5000/\n    repositories: [a]\n', /watch\[0\]\.registry must be a registry host\[:port\]/],
    ['bad duration', 'advisoryDb: x\ninterval: 5 minutes\n', /^m\.yaml:2:11: interval must be a duration such as 90s/],
    ['bad severity', 'advisoryDb: x\nfailOn: severe\n', /^m\.yaml:2:9: failOn must be one of unknown, negligible, low, medium, high, critical, not "severe"$/],
    ['bad alert url', 'advisoryDb: x\nalerts:\n  - url: not a url\n', /alerts\[0\]\.url must be an http\(s\) URL/],
    ['invalid YAML', 'advisoryDb: [x\n', /^m\.yaml:\d+:\d+: invalid YAML: /],
    ['duplicate key', 'advisoryDb: a\nadvisoryDb: b\n', /^m\.yaml:2:1: invalid YAML: Map keys must be unique/],
    ['not a mapping', '- a\n- b\n', /^m\.yaml: the config must be a mapping/],
    ['empty file', '', /^m\.yaml:1:1: missing "advisoryDb"$/],
  ];
  it.each(bad)('%s: one line naming file:line:column', (_name, text, re) => {
    let msg = '';
    try {
      parseConfig(text, 'm.yaml');
    } catch (err) {
      expect((err as { code: string }).code).toBe('bad-config');
      msg = (err as Error).message;
    }
    expect(msg).toMatch(re);
    expect(msg).not.toContain('\n');
  });
});
