/** Helpers shared by the Dockerfile rules: image sources, the final stage's base, RUN command lookups. */
import { invocation, subcommand } from '../shell.js';
import type { BaseImage, ImageReference, Instruction, RuleContext, RunInfo, ShellCommand, Stage } from '../types.js';

export type ImageSource = Extract<BaseImage, { kind: 'image' }>;

/** Every external image the build pulls: FROM bases and COPY --from images, with their lines. */
export function externalImages(ctx: RuleContext): Array<{ line: number; image: ImageSource; via: 'FROM' | 'COPY --from' }> {
  const out: Array<{ line: number; image: ImageSource; via: 'FROM' | 'COPY --from' }> = [];
  for (const s of ctx.parse.stages) {
    if (s.base.kind === 'image') out.push({ line: s.line, image: s.base, via: 'FROM' });
    for (const c of s.copyFrom) if (c.source.kind === 'image') out.push({ line: c.line, image: c.source, via: 'COPY --from' });
  }
  return out;
}

/** How a user should see an image: as written, plus the ARG-substituted value when it differs. */
export function describeImage(image: { raw: string; resolved: string }): string {
  return image.raw === image.resolved ? image.raw : `${image.raw} (= ${image.resolved})`;
}

/** The stage at the root of the final image's lineage: the one whose FROM names an external base. */
export function finalRoot(ctx: RuleContext): Stage | undefined {
  const last = ctx.finalLineage[ctx.finalLineage.length - 1];
  return last === undefined ? undefined : ctx.parse.stages[last];
}

/** Instructions of the final image, final stage first, then the stages it inherits from. */
export function finalInstructions(ctx: RuleContext): Instruction[][] {
  return ctx.finalLineage.map((i) => ctx.parse.stages[i]!.instructions);
}

export function isDistroless(ref: ImageReference): boolean {
  return ref.name.startsWith('gcr.io/distroless/');
}

export function isChainguard(ref: ImageReference): boolean {
  return ref.name.startsWith('cgr.dev/chainguard/');
}

/** RUN --mount=type=cache|tmpfs,target=<dir> covering `dir`: what such a mount holds never lands in a layer. */
export function mountsOver(run: RunInfo, dir: string): boolean {
  return run.instruction.flags.some((f) => {
    if (f.name.toLowerCase() !== 'mount' || !f.value) return false;
    const fields = f.value.split(',');
    const type = fields.find((x) => x.startsWith('type='))?.slice(5);
    if (type !== 'cache' && type !== 'tmpfs') return false;
    const target = fields.find((x) => x.startsWith('target=') || x.startsWith('dst=') || x.startsWith('destination='));
    let path = target?.slice(target.indexOf('=') + 1);
    while (path && path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    return path !== undefined && path.length > 0 && (dir === path || dir.startsWith(path + '/'));
  });
}

const APT_VALUE_OPTIONS = new Set(['-o', '-c', '-t', '--option', '--config-file', '--target-release']);
const APK_VALUE_OPTIONS = new Set(['-X', '--repository', '-t', '--virtual', '-p', '--root', '--arch', '--cache-dir', '--keys-dir', '--repositories-file']);

/** `apt-get <sub>` / `apt <sub>`: the subcommand, or undefined for other commands. */
export function aptSubcommand(cmd: ShellCommand): { sub: string; args: string[] } | undefined {
  const inv = invocation(cmd.words);
  if (!inv || (inv.name !== 'apt-get' && inv.name !== 'apt')) return undefined;
  const sub = subcommand(inv.args, APT_VALUE_OPTIONS);
  return sub === undefined ? undefined : { sub, args: inv.args };
}

export function apkSubcommand(cmd: ShellCommand): { sub: string; args: string[] } | undefined {
  const inv = invocation(cmd.words);
  if (!inv || inv.name !== 'apk') return undefined;
  const sub = subcommand(inv.args, APK_VALUE_OPTIONS);
  return sub === undefined ? undefined : { sub, args: inv.args };
}

/** Arguments of every `rm` in the RUN. */
export function removedPaths(run: RunInfo): string[] {
  const out: string[] = [];
  for (const c of run.commands) {
    const inv = invocation(c.words);
    if (inv?.name === 'rm') for (const a of inv.args) if (!a.startsWith('-')) out.push(a);
  }
  return out;
}

/** One hit per line: several offending commands of one logical RUN collapse into one finding. */
export function uniqueByLine<T extends { line: number }>(hits: T[]): T[] {
  const seen = new Set<number>();
  return hits.filter((h) => (seen.has(h.line) ? false : (seen.add(h.line), true)));
}
