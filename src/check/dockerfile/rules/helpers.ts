/** Helpers shared by the Dockerfile rules: image sources, the final stage's base, RUN command lookups. */
import { invocation, subcommand } from '../shell.js';
import type { BaseImage, ImageReference, Instruction, RuleContext, RunInfo, ShellCommand, Stage } from '../types.js';

export type ImageSource = Extract<BaseImage, { kind: 'image' }>;

export type ImageVia = 'FROM' | 'COPY --from' | 'RUN --mount from';

/** Every external image the build pulls: FROM bases, COPY --from and RUN --mount from= images, with their lines. */
export function externalImages(ctx: RuleContext): Array<{ line: number; image: ImageSource; via: ImageVia }> {
  const out: Array<{ line: number; image: ImageSource; via: ImageVia }> = [];
  for (const s of ctx.parse.stages) {
    if (s.base.kind === 'image') out.push({ line: s.line, image: s.base, via: 'FROM' });
    for (const c of s.copyFrom) if (c.source.kind === 'image') out.push({ line: c.line, image: c.source, via: 'COPY --from' });
    for (const m of s.mountFrom) if (m.source.kind === 'image') out.push({ line: m.line, image: m.source, via: 'RUN --mount from' });
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

export const APT_VALUE_OPTIONS = new Set(['-o', '-c', '-t', '--option', '--config-file', '--target-release']);
export const APK_VALUE_OPTIONS = new Set(['-X', '--repository', '-t', '--virtual', '-p', '--root', '--arch', '--cache-dir', '--keys-dir', '--repositories-file']);

/** The Debian package tools that fetch lists and install packages alike. */
const APT_TOOLS = new Set(['apt-get', 'apt', 'aptitude']);

/** `apt-get <sub>` / `apt <sub>` / `aptitude <sub>`: the tool and subcommand, or undefined for other commands. */
export function aptSubcommand(cmd: ShellCommand): { tool: string; sub: string; args: string[] } | undefined {
  const inv = invocation(cmd.words);
  if (!inv || !APT_TOOLS.has(inv.name)) return undefined;
  const sub = subcommand(inv.args, APT_VALUE_OPTIONS);
  return sub === undefined ? undefined : { tool: inv.name, sub, args: inv.args };
}

/** The operands after the subcommand: package names, skipping options and the values of `withValue` options. */
export function operands(args: readonly string[], sub: string, withValue: ReadonlySet<string>): string[] {
  const out: string[] = [];
  let seenSub = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      out.push(...args.slice(i + 1).filter((x) => seenSub || x !== sub));
      break;
    }
    if (a.startsWith('-')) {
      if (withValue.has(a)) i++;
      continue;
    }
    if (!seenSub && a === sub) {
      seenSub = true;
      continue;
    }
    out.push(a);
  }
  return out;
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

/** Up to three names, then a count: messages stay one line. */
export function names(list: readonly string[]): string {
  const shown = list.slice(0, 3).map((n) => n.slice(0, 60)).join(', ');
  return list.length > 3 ? `${shown} and ${list.length - 3} more` : shown;
}
