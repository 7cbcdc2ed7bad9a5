import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { httpManifest } from '../scripts/manifest.js';
import { prettyLine } from '../src/log.js';
import { backupDatabase } from '../src/store/backup.js';
import { openDatabase } from '../src/store/db.js';

const root = new URL('../', import.meta.url).pathname;
const read = (file: string) => readFileSync(join(root, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as { license: string; scripts: Record<string, string> };

interface Instruction {
  keyword: string;
  args: string;
  stage: number;
}

/** Dockerfile instructions (continuations joined, comments dropped), each tagged with its stage index. */
function parseDockerfile(text: string): Instruction[] {
  const lines = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  let stage = -1;
  return lines.map((line) => {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') stage++;
    return { keyword: keyword.toUpperCase(), args: args.replace(/\s+/g, ' '), stage };
  });
}

const dockerfile = parseDockerfile(read('Dockerfile'));
const stages = Math.max(...dockerfile.map((i) => i.stage)) + 1;
const inStage = (stage: number, keyword: string) =>
  dockerfile.filter((i) => i.stage === stage && i.keyword === keyword);
const final = stages - 1;
const env = Object.fromEntries(
  inStage(final, 'ENV').flatMap((i) => [...i.args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]])),
);

// hadolint is not installable here (no Debian package; not on npm), so these are its rules that
// matter for this image, plus the operator requirements of the deploy docs.
describe('Dockerfile (linted)', () => {
  it('is multi-stage, from pinned official Node 20 images, never :latest', () => {
    const froms = dockerfile.filter((i) => i.keyword === 'FROM');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f.args).toMatch(/^node:20[\w.-]*-(bookworm|bookworm-slim)\b/);
    expect(froms[0]!.args).toMatch(/ AS build$/i);
  });

  it('runs `node dist/main.js` under tini as PID 1, as a non-root user, with the database in a volume', () => {
    expect(JSON.parse(inStage(final, 'ENTRYPOINT')[0]!.args)).toEqual(['/usr/bin/tini', '--']);
    expect(JSON.parse(inStage(final, 'CMD').at(-1)!.args)).toEqual(['node', 'dist/main.js']);
    expect(inStage(final, 'RUN').some((r) => /apt-get install .*\btini\b/.test(r.args))).toBe(true);
    const user = inStage(final, 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const volumes = inStage(final, 'VOLUME').flatMap((v) => JSON.parse(v.args) as string[]);
    expect(env.DATABASE_PATH).toBeDefined();
    expect(volumes).toContain(posix.dirname(env.DATABASE_PATH!));
    // The volume's directory belongs to that user, or the bot could not create its database.
    expect(inStage(final, 'RUN').some((r) => r.args.includes(`chown ${user}:${user} ${volumes[0]}`))).toBe(
      true,
    );
    expect(inStage(final, 'HEALTHCHECK')[0]?.args).toContain('/healthz');
  });

  it('follows the hadolint rules that apply: exec-form CMD, no ADD, apt lists cleaned, no recommends, WORKDIR set', () => {
    expect(dockerfile.some((i) => i.keyword === 'ADD')).toBe(false);
    for (const run of dockerfile.filter((i) => i.keyword === 'RUN' && i.args.includes('apt-get install'))) {
      expect(run.args).toContain('--no-install-recommends');
      expect(run.args).toContain('-y');
      expect(run.args).toContain('rm -rf /var/lib/apt/lists/*');
    }
    for (const s of [0, final]) expect(inStage(s, 'WORKDIR')[0]?.args).toBe('/app');
    for (const cmd of dockerfile.filter((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT'))
      expect(cmd.args.startsWith('[')).toBe(true);
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'));
    for (const copy of dockerfile.filter((i) => i.keyword === 'COPY' && !i.args.includes('--from'))) {
      for (const src of copy.args.split(' ').slice(0, -1)) {
        expect(existsSync(join(root, src)), src).toBe(true);
        expect(ignored, src).not.toContain(src);
      }
    }
    for (const secret of ['.env', 'node_modules', 'data', '.git']) expect(ignored).toContain(secret);
  });
});

describe("the Dockerfile's build, run outside Docker", () => {
  let app: string;
  beforeAll(() => {
    // The build stage, step by step, in an empty folder standing in for /app. `npm ci` is the one
    // step not repeated: CI has just run it from the same package-lock.json (and it compiles
    // better-sqlite3 for minutes here), so its result is copied instead. apt-get needs the image.
    app = mkdtempSync(join(tmpdir(), 'slack-analyst-image-'));
    for (const step of dockerfile.filter((i) => i.stage === 0)) {
      if (step.keyword === 'COPY') {
        const parts = step.args.split(' ');
        const dest = join(app, parts.at(-1)!);
        for (const src of parts.slice(0, -1))
          cpSync(join(root, src), parts.length > 2 || dest.endsWith('/') ? join(dest, src) : dest, {
            recursive: true,
          });
      } else if (step.keyword === 'RUN' && step.args.startsWith('npm ci')) {
        cpSync(join(root, 'node_modules'), join(app, 'node_modules'), {
          recursive: true,
          verbatimSymlinks: true,
        });
      } else if (step.keyword === 'RUN' && !step.args.startsWith('apt-get')) {
        execFileSync('/bin/sh', ['-c', step.args], { cwd: app, stdio: 'pipe' });
      }
    }
  }, 180_000);
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  it('leaves exactly what the runtime stage copies, with production dependencies only', () => {
    const copied = inStage(final, 'COPY').map((c) => /--from=build .*\/app\/(\S+) /.exec(c.args)?.[1]);
    expect(copied).toEqual(['package.json', 'node_modules', 'dist']);
    for (const path of copied) expect(existsSync(join(app, path!)), path).toBe(true);
    const modules = readdirSync(join(app, 'node_modules'));
    for (const dev of ['vitest', 'typescript', 'ws', 'yaml']) expect(modules).not.toContain(dev);
    for (const prod of ['@slack', 'better-sqlite3', 'pino']) expect(modules).toContain(prod);
  });

  it("the image's command starts from the built files alone, and refuses an empty configuration with exit 2", () => {
    for (const dropped of ['src', 'tsconfig.json', 'tsconfig.build.json'])
      rmSync(join(app, dropped), { recursive: true });
    const [cmd, ...args] = JSON.parse(inStage(final, 'CMD').at(-1)!.args) as string[];
    const run = spawnSync(cmd === 'node' ? process.execPath : cmd!, args, {
      cwd: app,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
      encoding: 'utf8',
    });
    expect(run.stderr).toContain('SLACK_BOT_TOKEN is required');
    expect(run.status).toBe(2);
    // The backup command the docs give for the container is there too.
    expect(existsSync(join(app, 'dist/backup.js'))).toBe(true);
  });
});

describe('compose.yaml and the systemd unit', () => {
  it('compose builds the image, keeps the database in a named volume and stops gracefully', () => {
    const compose = parse(read('compose.yaml')) as {
      services: Record<string, Record<string, unknown>>;
      volumes: Record<string, unknown>;
    };
    const service = compose.services['slack-analyst']!;
    expect(service.build).toBe('.');
    expect(service.env_file).toBe('.env');
    const dbPath = (service.environment as Record<string, string>).DATABASE_PATH!;
    const [volume, mount] = (service.volumes as string[])[0]!.split(':');
    expect(Object.keys(compose.volumes)).toContain(volume);
    expect(posix.dirname(dbPath)).toBe(mount);
    expect(Number.parseInt(String(service.stop_grace_period), 10)).toBeGreaterThan(30); // > SHUTDOWN_GRACE_SECONDS
  });

  it('the unit runs node directly (signals reach the bot), stops after the grace period and does not restart on configuration errors', () => {
    const unit = read('deploy/slack-analyst.service');
    const value = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(unit)?.[1];
    expect(value('ExecStart')).toMatch(/^\/\S*node dist\/main\.js$/);
    expect(value('KillSignal')).toBe('SIGTERM');
    expect(Number(value('TimeoutStopSec'))).toBeGreaterThan(30);
    expect(value('RestartPreventExitStatus')).toBe('2');
    expect(value('User')).not.toBe('root');
    expect(unit).toMatch(/^Environment=DATABASE_PATH=\/var\/lib\/slack-analyst\//m);
    expect(value('StateDirectory')).toBe('slack-analyst');
  });
});

describe('LICENSE', () => {
  it('is the license package.json names', () => {
    expect(pkg.license).toBe('MIT');
    expect(read('LICENSE')).toMatch(/^MIT License\n/);
    expect(read('LICENSE')).toContain('Permission is hereby granted, free of charge');
  });
});

describe('HTTP-mode manifest', () => {
  const socketManifest = parse(read('manifest.yml')) as Record<
    string,
    Record<string, Record<string, unknown>>
  >;

  it('turns Socket Mode off and sends events and interactivity to the request URL, changing nothing else', () => {
    const url = 'https://bot.example.com/slack/events';
    const http = parse(httpManifest(read('manifest.yml'), url)) as typeof socketManifest;
    expect(http.settings!.socket_mode_enabled).toBe(false);
    expect(http.settings!.event_subscriptions).toEqual({
      ...socketManifest.settings!.event_subscriptions,
      request_url: url,
    });
    expect(http.settings!.interactivity).toEqual({ is_enabled: true, request_url: url });
    const { settings: _a, ...restHttp } = http;
    const { settings: _b, ...restSocket } = socketManifest;
    expect(restHttp).toEqual(restSocket);
    expect(httpManifest(read('manifest.yml'), url)).not.toContain('Socket Mode is on');
  });

  it('`npm run manifest -- --request-url …` prints it; a URL Slack would refuse is an error', () => {
    expect(pkg.scripts.manifest).toBeDefined();
    const run = (...args: string[]) =>
      spawnSync('npm', ['run', '--silent', 'manifest', '--', ...args], { cwd: root, encoding: 'utf8' });
    const ok = run('--request-url', 'https://analyst.example.org/slack/events');
    expect(ok.status).toBe(0);
    expect(parse(ok.stdout).settings.interactivity.request_url).toBe(
      'https://analyst.example.org/slack/events',
    );
    const bad = run('--request-url', 'http://analyst.example.org/slack/events');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('https://');
  }, 30_000);
});

describe('npm run backup', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'slack-analyst-backup-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('copies a live WAL-mode database consistently, as one self-contained file, and never overwrites', async () => {
    const source = join(dir, 'live', 'bot.db');
    const db = openDatabase(source);
    // Rows still in the WAL (not checkpointed into the main file) must be in the copy.
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE backup_probe (n INTEGER NOT NULL)');
    const insert = db.prepare('INSERT INTO backup_probe (n) VALUES (?)');
    for (let i = 0; i < 50; i++) insert.run(i);
    expect(readFileSync(`${source}-wal`).length).toBeGreaterThan(0);

    const destination = join(dir, 'backups', 'copy.db');
    const result = await backupDatabase(source, destination);
    db.close();
    expect(result.schemaVersion).toBeGreaterThan(0);
    expect(readdirSync(dirname(destination))).toEqual(['copy.db']);
    const copy = new Database(destination, { readonly: true });
    expect(copy.prepare('SELECT count(*) AS n FROM backup_probe').get()).toEqual({ n: 50 });
    copy.close();
    await expect(backupDatabase(source, destination)).rejects.toThrow(/already exists/);
    await expect(backupDatabase(join(dir, 'missing.db'), join(dir, 'x.db'))).rejects.toThrow(/no database/);
  });
});

describe('LOG_FORMAT=pretty', () => {
  it('turns a JSON log record into one readable line with its fields', () => {
    const line = prettyLine(
      '{"level":40,"time":1795700000000,"service":"slack-analyst","turnId":"t1","code":"ratelimited","msg":"reaction failed"}\n',
    );
    expect(line).toBe('13:33:20 WARN  reaction failed turnId=t1 code=ratelimited\n');
  });
});
