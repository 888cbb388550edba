// No Docker engine runs here, so the Dockerfile is checked the other way: its build stage's
// commands run as a shell script in a scratch copy of the build context (COPY as cp, RUN as
// bash), its runtime stage's files are assembled from that build as its COPY lines say, and the
// broker is started from that layout with the image's config, answering the image's HEALTHCHECK.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { findPackageRoot } from '../../server/config/package-root.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const root = findPackageRoot(import.meta.url);
const temp = useTempDirs();

interface Instruction {
  readonly op: string;
  readonly args: string;
}
interface Stage {
  readonly name: string;
  readonly instructions: Instruction[];
}

function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [, op, args] = /^(\w+)\s+(.*)$/.exec(line)!;
    if (op === 'FROM') stages.push({ name: /\bAS\s+(\S+)$/i.exec(args!)?.[1] ?? '', instructions: [] });
    stages[stages.length - 1]!.instructions.push({ op: op!, args: args! });
  }
  return stages;
}

const dockerfile = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'));
const [build, runtime] = dockerfile;

describe('the Dockerfile', () => {
  it('is multi-stage, runs as a non-root user, and checks /healthz on the port the image config gives the probes', () => {
    expect(dockerfile.map((s) => s.name)).toEqual(['build', 'runtime']);
    const ops = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op).map((i) => i.args);
    expect(ops(runtime!, 'USER')).toEqual(['node']);
    const [healthcheck] = ops(runtime!, 'HEALTHCHECK');
    const imageConfig = readFileSync(join(root, 'deploy/warden.yaml'), 'utf8');
    const healthPort = /^health:\n(?:\s+.*\n)*?\s+port: (\d+)/m.exec(imageConfig)![1];
    expect(healthcheck).toContain(`http://127.0.0.1:${healthPort}/healthz`);
    // Only the build stage sees sources and dev dependencies; no key material is copied anywhere.
    for (const copy of ops(runtime!, 'COPY'))
      expect(copy).toMatch(
        /^(--from=build \/src\/(package\.json|node_modules|dist\/(server|protocol|console)|client\/(package\.json|dist))|(config|deploy)\/)/,
      );
    for (const stage of dockerfile) for (const copy of ops(stage, 'COPY')) expect(copy).not.toMatch(/certs|key|\.env/);
  });

  it("builds: the build stage's commands run, and the runtime layout starts and answers the HEALTHCHECK", async () => {
    const scratch = temp().path;
    const context = root;
    const buildDir = join(scratch, 'build');
    const rootfs = join(scratch, 'rootfs');
    let workdir = buildDir;
    const script: string[] = ['set -euo pipefail'];
    for (const { op, args } of build!.instructions) {
      if (op === 'WORKDIR') {
        workdir = join(buildDir, args.replace(/^\/src\/?/, ''));
        script.push(`mkdir -p '${workdir}'`, `cd '${workdir}'`);
      } else if (op === 'COPY') {
        const parts = args.split(/\s+/);
        const dest = parts.pop()!;
        // Docker's rules: a directory's contents go into the destination; a file goes into a
        // destination ending in `/`, or becomes it.
        for (const src of parts) {
          const from = join(context, src);
          const to = join(workdir, dest);
          if (statSync(from).isDirectory()) script.push(`mkdir -p '${to}'`, `cp -R '${from}/.' '${to}/'`);
          else if (dest.endsWith('/')) script.push(`mkdir -p '${to}'`, `cp '${from}' '${to}/'`);
          else script.push(`mkdir -p '${dirname(to)}'`, `cp '${from}' '${to}'`);
        }
      } else if (op === 'RUN') script.push(args);
    }
    // The npm cache of this machine's own install (npm ci in scripts/test.sh) serves the packages.
    execFileSync('bash', ['-c', script.join('\n')], {
      env: { ...process.env, npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' },
      stdio: 'pipe',
      timeout: 600_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    // Production dependencies only: the pruned tree has the runtime's, not the test tools.
    expect(existsSync(join(buildDir, 'node_modules/ws'))).toBe(true);
    expect(existsSync(join(buildDir, 'node_modules/vitest'))).toBe(false);

    // The runtime stage's files, where its COPY lines put them (absolute paths under rootfs).
    let appDir = rootfs;
    for (const { op, args } of runtime!.instructions) {
      if (op === 'WORKDIR') appDir = join(rootfs, args);
      if (op !== 'COPY') continue;
      const fromBuild = args.startsWith('--from=build ');
      const [src, dest] = args.replace(/^--from=build\s+/, '').split(/\s+/) as [string, string];
      const from = fromBuild ? join(buildDir, src.replace(/^\/src\//, '')) : join(context, src);
      const into = dest.startsWith('/') ? join(rootfs, dest) : join(appDir, dest);
      // `COPY file dir/` puts the file inside the directory, as Docker does.
      const to = dest.endsWith('/') && !src.endsWith('/') ? join(into, basename(src)) : into;
      mkdirSync(dirname(to), { recursive: true });
      cpSync(from, to, { recursive: true });
    }
    mkdirSync(join(rootfs, 'var/lib/warden'), { recursive: true });

    // The image's config, with its absolute paths under rootfs and ports any free ones (tests run side by side).
    const imageConfig = join(rootfs, 'etc/warden/warden.yaml');
    const config = readFileSync(imageConfig, 'utf8')
      .replaceAll('/etc/warden', join(rootfs, 'etc/warden'))
      .replaceAll('/var/lib/warden', join(rootfs, 'var/lib/warden'))
      .replace(/port: \d+/g, 'port: 0');
    writeFileSync(imageConfig, config);
    const broker = spawn(process.execPath, ['dist/server/cli.js', '--config', imageConfig], {
      cwd: appDir,
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const started = (message: string) =>
        new Promise<string>((resolve, reject) => {
          createInterface({ input: broker.stdout }).on('line', (line) => {
            const entry = JSON.parse(line) as { msg: string; url?: string };
            if (entry.msg === message && entry.url !== undefined) resolve(entry.url);
          });
          broker.on('exit', (code) => reject(new Error(`the broker exited (${code}) before: ${message}`)));
        });
      const [healthUrl, adminUrl] = await Promise.all([
        started('health listener started'),
        started('admin listener started'),
      ]);
      // The runtime image carries the admin console's page.
      const page = await fetch(`${adminUrl}/console`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('/console/assets/console.js');
      const [healthcheck] = runtime!.instructions.filter((i) => i.op === 'HEALTHCHECK').map((i) => i.args);
      const command = JSON.parse(healthcheck!.slice(healthcheck!.indexOf('CMD ') + 4)) as string[];
      const port = new URL(healthUrl).port;
      const probe = command.map((part) => part.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${port}`));
      expect(probe[0]).toBe('node');
      // Exit status 0 is what Docker counts as healthy.
      execFileSync(process.execPath, probe.slice(1), { timeout: 10_000 });
    } finally {
      broker.kill('SIGTERM');
    }
  }, 900_000);
});
