// `import ... from "cloudflare:test"` in a test file resolves here (esbuild alias);
// "isoplay-test:worker" is aliased to the project's main module.
import * as worker from "isoplay-test:worker";
const cf = (globalThis as any).__isoplay_test.cloudflare;
export const env = cf.env;
export const SELF = cf.makeSelf(worker);
export const fetchMock = cf.fetchMock;
export const createExecutionContext = cf.createExecutionContext;
export const waitOnExecutionContext = cf.waitOnExecutionContext;
export const createScheduledController = cf.createScheduledController;

// Each D1 binding's migrations (file name and statements), read by the host when it bundled this file.
import projectMigrations from "isoplay-test:d1-migrations";

interface D1Migration { name: string; queries: string[] }

/** vitest-pool-workers' applyD1Migrations(): the migrations `db` has not recorded, in order, each in one
 * batch with its record. Without `migrations` (isoplay reads no vitest config, so `env.TEST_MIGRATIONS` is
 * undefined), the .sql files of the binding's migrations_dir. */
export async function applyD1Migrations(db: any, migrations?: D1Migration[], migrationsTableName = "d1_migrations"): Promise<void> {
  let list = migrations;
  if (list === undefined) {
    const binding = Object.keys(env).find((name) => env[name] === db);
    list = binding === undefined ? undefined : (projectMigrations as Record<string, D1Migration[]>)[binding];
    if (list === undefined) {
      throw new TypeError("applyD1Migrations(): no migrations were given and the database is not a d1_databases binding "
        + "of the project; pass a list of { name, queries }");
    }
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(migrationsTableName)) {
    throw new TypeError(`applyD1Migrations(): ${JSON.stringify(migrationsTableName)} is not a plain table name`);
  }
  await db.prepare(`CREATE TABLE IF NOT EXISTS ${migrationsTableName} (id INTEGER PRIMARY KEY AUTOINCREMENT, `
    + "name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)").run();
  const done = new Set((await db.prepare(`SELECT name FROM ${migrationsTableName}`).all()).results.map((r: any) => r.name));
  for (const migration of list) {
    if (done.has(migration.name)) continue;
    const statements = migration.queries.map((q) => db.prepare(q));
    statements.push(db.prepare(`INSERT INTO ${migrationsTableName} (name) VALUES (?)`).bind(migration.name));
    await db.batch(statements);
  }
}
