/** Tests of the dotnet cataloger: a deps.json written by `dotnet publish`, malformed input. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dirFileView } from '../../image/dir-view.js';
import { memView, runCataloger } from '../fixtures/mem-view.js';
import { dotnetCataloger } from './dotnet.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

describe('dotnet', () => {
  it('reports package libraries, not the project', async () => {
    const { packages, warnings } = await runCataloger(dotnetCataloger(), dirFileView(path.join(fixtures, 'image'), 'sha256:net'));
    expect(warnings).toEqual([]);
    expect(packages).toEqual([
      { name: 'Newtonsoft.Json', version: '13.0.1', type: 'nuget', purl: 'pkg:nuget/Newtonsoft.Json@13.0.1', locations: [{ layer: 'sha256:net', path: '/app/MyApp.deps.json' }] },
      { name: 'Serilog', version: '2.12.0', type: 'nuget', purl: 'pkg:nuget/Serilog@2.12.0', locations: [{ layer: 'sha256:net', path: '/app/MyApp.deps.json' }] },
    ]);
  });

  it('warns about bad JSON, a missing libraries object and bad keys', async () => {
    const view = memView([
      { path: '/a/A.deps.json', data: '{"libraries": {' },
      { path: '/b/B.deps.json', data: '{"targets": {}}' },
      { path: '/c/C.deps.json', data: '{"libraries": {"NoVersion": {"type": "package"}, "Ok/1.0": {"type": "package"}}}' },
    ]);
    const { packages, warnings } = await runCataloger(dotnetCataloger(), view);
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual(['Ok@1.0']);
    expect(warnings).toEqual([
      { path: '/a/A.deps.json', message: expect.stringMatching(/^deps\.json: bad JSON/) },
      { path: '/b/B.deps.json', message: 'deps.json: no `libraries` object' },
      { path: '/c/C.deps.json', message: 'deps.json: library key "NoVersion" is not Name/Version' },
    ]);
  });
});

describe('deps.json forms the peers test', () => {
  it("reports a self-contained app's runtime packs under their NuGet names", async () => {
    const deps = {
      libraries: {
        'App/1.0.0': { type: 'project' },
        'runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0': { type: 'runtimepack' },
        'runtimepack.Microsoft.AspNetCore.App.Runtime.linux-x64/8.0.0': { type: 'runtimepack' },
      },
    };
    const r = await runCataloger(dotnetCataloger(), memView([{ path: '/app/App.deps.json', data: JSON.stringify(deps) }]));
    expect(r.packages.map((p) => p.purl)).toEqual([
      'pkg:nuget/Microsoft.AspNetCore.App.Runtime.linux-x64@8.0.0',
      'pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@8.0.0',
    ]);
  });
});
