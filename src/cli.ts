// `berth serve`: flags (or BERTH_* environment variables) -> Config -> a running server.
// commander does the parsing and help text: a well-kept library beats a hand-rolled parser.
import { existsSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { defaultConfig, defaultDataDir, DEFAULT_PORT, type Config } from './config.js';
import { startServer } from './app.js';
import { parseHost } from './admin/allowed-hosts.js';
import { MAX_CLOCK_OFFSET_SECONDS } from './lib/clock.js';
import { createLogger, type LogLevel } from './lib/logger.js';
import { ACCOUNT_ID_PATTERN } from './lib/scope.js';
import { VERSION } from './version.js';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return port;
}

function parseAccount(value: string): string {
  if (!ACCOUNT_ID_PATTERN.test(value)) throw new InvalidArgumentError('must be 12 digits');
  return value;
}

function parseRegion(value: string): string {
  if (!/^[a-z0-9-]{2,25}$/.test(value)) throw new InvalidArgumentError('must look like a region name, e.g. us-east-1');
  return value;
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds)) throw new InvalidArgumentError('must be a number of seconds');
  return seconds;
}

function parseClockOffset(value: string): number {
  const seconds = parseSeconds(value);
  if (Math.abs(seconds) > MAX_CLOCK_OFFSET_SECONDS) throw new InvalidArgumentError('must be within 100 years either way');
  return seconds;
}

function parseInterval(value: string): number {
  const seconds = parseSeconds(value);
  if (seconds < 0) throw new InvalidArgumentError('must be 0 (off) or a positive number of seconds');
  return seconds;
}

function parseExistingPath(value: string): string {
  if (!existsSync(value)) throw new InvalidArgumentError(`${value} does not exist`);
  return value;
}

/** Repeatable, and comma-separated in BERTH_ALLOWED_HOSTS: each adds to those before. */
function parseAllowedHosts(value: string, previous: string[]): string[] {
  const names = value.split(',').map((name) => name.trim()).filter((name) => name !== '');
  for (const name of names) {
    if (!parseHost(name)) throw new InvalidArgumentError(`${name} is not a host name (e.g. berth or registry.internal)`);
  }
  return [...previous, ...names];
}

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const program = new Command('berth').version(VERSION).description('A local Amazon ECR: AWS API and OCI registry on one port.');

program
  .command('serve')
  .description('Start the server.')
  .addOption(new Option('--host <host>', 'address to listen on').env('BERTH_HOST').default('127.0.0.1'))
  .addOption(new Option('--port <port>', 'port to listen on (0 = any free port)').env('BERTH_PORT').default(DEFAULT_PORT).argParser(parsePort))
  .addOption(new Option('--data-dir <dir>', 'where metadata and blobs are kept').env('BERTH_DATA_DIR').default(defaultDataDir()))
  .addOption(new Option('--ephemeral', 'keep everything in memory; nothing is left behind on exit (env BERTH_EPHEMERAL=1|true)'))
  .addOption(new Option('--account-id <id>', 'account for callers whose access key is not a 12-digit account id').env('BERTH_ACCOUNT_ID').default('000000000000').argParser(parseAccount))
  .addOption(new Option('--region <region>', 'region for callers that send no credential scope').env('BERTH_REGION').default('us-east-1').argParser(parseRegion))
  .addOption(new Option('--registry-host <template>', 'host of repository URIs, e.g. {account}.dkr.ecr.{region}.localhost:5080').env('BERTH_REGISTRY_HOST'))
  .addOption(new Option('--require-auth', 'refuse registry requests without an ECR token, as ECR does (env BERTH_REQUIRE_AUTH=1|true)'))
  .addOption(new Option('--clock-offset <seconds>', "shift Berth's clock (lifecycle ages, token expiry); POST /_berth/clock changes it at run time").env('BERTH_CLOCK_OFFSET').default(0).argParser(parseClockOffset))
  .addOption(new Option('--lifecycle-interval <seconds>', 'how often lifecycle policies are applied (0 = only on POST /_berth/lifecycle/run)').env('BERTH_LIFECYCLE_INTERVAL').default(3600).argParser(parseInterval))
  .addOption(new Option('--vuln-db <path>', 'directory of OSV vulnerability records (e.g. the unzipped Debian and Alpine all.zip) that scans match packages against').env('BERTH_VULN_DB').argParser(parseExistingPath))
  .addOption(new Option('--allowed-host <name>', 'another Host name the admin endpoints answer to (repeatable; env: comma-separated)').env('BERTH_ALLOWED_HOSTS').default([], 'none').argParser(parseAllowedHosts))
  .addOption(new Option('--admin-token <token>', 'bearer token for the admin endpoints; when set, they refuse callers without credentials').env('BERTH_ADMIN_TOKEN'))
  .addOption(new Option('--log-level <level>', 'log verbosity').env('BERTH_LOG_LEVEL').choices(LOG_LEVELS).default('warn'))
  .action(async (options: { host: string; port: number; dataDir: string; ephemeral?: boolean; accountId: string; region: string; registryHost?: string; requireAuth?: boolean; clockOffset: number; lifecycleInterval: number; vulnDb?: string; allowedHost: string[]; adminToken?: string; logLevel: LogLevel }) => {
    const config: Config = defaultConfig({
      host: options.host,
      port: options.port,
      dataDir: options.dataDir,
      // Read by hand: commander would turn the flag on for any value, BERTH_EPHEMERAL=0 included.
      ephemeral: options.ephemeral === true || ['1', 'true', 'yes'].includes((process.env.BERTH_EPHEMERAL ?? '').toLowerCase()),
      accountId: options.accountId,
      region: options.region,
      registryHost: options.registryHost,
      requireAuth: options.requireAuth === true || ['1', 'true', 'yes'].includes((process.env.BERTH_REQUIRE_AUTH ?? '').toLowerCase()),
      clockOffsetSeconds: options.clockOffset,
      lifecycleIntervalMs: options.lifecycleInterval * 1000,
      vulnDbPath: options.vulnDb,
      allowedHosts: options.allowedHost,
      adminToken: options.adminToken,
      logLevel: options.logLevel,
    });
    const logger = createLogger(config.logLevel);
    const server = await startServer(config, logger);
    const where = config.ephemeral ? 'in memory (ephemeral)' : config.dataDir;
    process.stdout.write(
      `Berth ${VERSION} listening on ${server.endpoint} (account ${config.accountId}, region ${config.region}, data ${where})\n` +
        `Try: aws ecr create-repository --repository-name hello --endpoint-url ${server.endpoint} --region ${config.region}\n`,
    );
    const stop = (signal: string) => {
      logger.info({ signal }, 'stopping');
      server.close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'error while stopping');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`berth: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
