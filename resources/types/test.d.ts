// Types of `isoplay test`'s modules: `vitest` and `cloudflare:test` as test files import them.
// The implementations run inside the test isolate (resources/testing); these declarations
// cover what isoplay provides. Shipped by isoplay; `isoplay new` and `isoplay check` copy it into types/.

declare module "vitest" {
  type Awaitable<T> = T | PromiseLike<T>;

  export interface TestContext {
    task: { id: string; name: string; fullName: string };
    expect: ExpectStatic;
    /** Skip the running test (when `condition` is true or absent). */
    skip(condition?: boolean): void;
    onTestFinished(fn: () => Awaitable<unknown>): void;
    onTestFailed(fn: () => Awaitable<unknown>): void;
    signal: AbortSignal;
  }
  export interface TestOptions { timeout?: number; skip?: boolean; only?: boolean; todo?: boolean; fails?: boolean }
  type TestFunction = (context: TestContext) => Awaitable<unknown>;

  interface EachFunction<Fn> {
    <T extends readonly unknown[]>(cases: readonly T[]): (name: string, fn: (...args: T) => ReturnType<Fn extends (...a: never[]) => infer R ? () => R : never>, timeout?: number | TestOptions) => void;
    <T>(cases: readonly T[]): (name: string, fn: (arg: T) => ReturnType<Fn extends (...a: never[]) => infer R ? () => R : never>, timeout?: number | TestOptions) => void;
  }
  export interface TestAPI {
    (name: string | Function, fn?: TestFunction, timeout?: number | TestOptions): void;
    (name: string | Function, options: TestOptions, fn?: TestFunction): void;
    only: TestAPI; skip: TestAPI; fails: TestAPI; concurrent: TestAPI; sequential: TestAPI;
    todo(name: string | Function): void;
    skipIf(condition: unknown): TestAPI;
    runIf(condition: unknown): TestAPI;
    each: EachFunction<() => Awaitable<unknown>>;
  }
  export interface SuiteAPI {
    (name: string | Function, fn?: () => void, options?: number | TestOptions): void;
    only: SuiteAPI; skip: SuiteAPI; concurrent: SuiteAPI; sequential: SuiteAPI;
    todo(name: string | Function): void;
    skipIf(condition: unknown): SuiteAPI;
    runIf(condition: unknown): SuiteAPI;
    each: EachFunction<() => void>;
  }
  export const describe: SuiteAPI;
  export const suite: SuiteAPI;
  export const it: TestAPI;
  export const test: TestAPI;
  export function beforeAll(fn: () => Awaitable<unknown>, timeout?: number): void;
  export function afterAll(fn: () => Awaitable<unknown>, timeout?: number): void;
  export function beforeEach(fn: (context: TestContext) => Awaitable<unknown>, timeout?: number): void;
  export function afterEach(fn: (context: TestContext) => Awaitable<unknown>, timeout?: number): void;

  type Promisified<A> = { [K in keyof A]: A[K] extends (...args: infer P) => unknown ? (...args: P) => Promise<void> : A[K] };
  export interface Assertion<T = any> {
    not: Assertion<T>;
    resolves: Promisified<Assertion<Awaited<T>>>;
    rejects: Promisified<Assertion<unknown>>;
    toBe(expected: unknown): void;
    toEqual(expected: unknown): void;
    toStrictEqual(expected: unknown): void;
    toMatchObject(expected: object | object[]): void;
    toMatchInlineSnapshot(snapshot?: string): void;
    toMatchInlineSnapshot(shape: object, snapshot?: string): void;
    toContain(item: unknown): void;
    toContainEqual(item: unknown): void;
    toHaveLength(length: number): void;
    toHaveProperty(path: string | (string | number)[], value?: unknown): void;
    toBeTruthy(): void;
    toBeFalsy(): void;
    toBeNull(): void;
    toBeUndefined(): void;
    toBeDefined(): void;
    toBeNaN(): void;
    toBeTypeOf(type: "string" | "number" | "bigint" | "boolean" | "symbol" | "undefined" | "object" | "function"): void;
    toBeInstanceOf(ctor: Function): void;
    toBeGreaterThan(n: number | bigint): void;
    toBeGreaterThanOrEqual(n: number | bigint): void;
    toBeLessThan(n: number | bigint): void;
    toBeLessThanOrEqual(n: number | bigint): void;
    toBeCloseTo(n: number, digits?: number): void;
    toBeOneOf(values: readonly unknown[]): void;
    toMatch(expected: string | RegExp): void;
    toSatisfy(predicate: (value: T) => boolean, message?: string): void;
    toThrow(expected?: string | RegExp | Function | Error | object): void;
    toThrowError(expected?: string | RegExp | Function | Error | object): void;
    toHaveBeenCalled(): void;
    toHaveBeenCalledOnce(): void;
    toHaveBeenCalledTimes(times: number): void;
    toHaveBeenCalledWith(...args: unknown[]): void;
    toHaveBeenLastCalledWith(...args: unknown[]): void;
    toHaveBeenNthCalledWith(n: number, ...args: unknown[]): void;
    toHaveReturned(): void;
    toHaveReturnedWith(value: unknown): void;
    toHaveResolvedWith(value: unknown): void;
    [matcher: string]: any;
  }
  export interface ExpectStatic {
    <T>(actual: T, message?: string): Assertion<T>;
    soft<T>(actual: T, message?: string): Assertion<T>;
    assertions(count: number): void;
    hasAssertions(): void;
    unreachable(message?: string): never;
    extend(matchers: Record<string, (this: any, received: any, ...args: any[]) => { pass: boolean; message: () => string } | Promise<{ pass: boolean; message: () => string }>>): void;
    anything(): any;
    any(ctor: unknown): any;
    arrayContaining<T = unknown>(items: readonly T[]): any;
    objectContaining<T = unknown>(object: T): any;
    stringContaining(text: string): any;
    stringMatching(pattern: string | RegExp): any;
    closeTo(n: number, digits?: number): any;
    not: { arrayContaining(items: readonly unknown[]): any; objectContaining(object: object): any; stringContaining(text: string): any; stringMatching(pattern: string | RegExp): any };
  }
  export const expect: ExpectStatic;
  export const assert: any;
  export const chai: any;

  type Procedure = (...args: any[]) => any;
  export interface Mock<T extends Procedure = Procedure> {
    (...args: Parameters<T>): ReturnType<T>;
    mock: { calls: Parameters<T>[]; results: { type: "return" | "throw" | "incomplete"; value: any }[]; lastCall: Parameters<T> | undefined; instances: any[] };
    getMockName(): string;
    mockName(name: string): this;
    mockClear(): this;
    mockReset(): this;
    mockRestore(): void;
    mockImplementation(fn: T): this;
    mockImplementationOnce(fn: T): this;
    mockReturnValue(value: ReturnType<T>): this;
    mockReturnValueOnce(value: ReturnType<T>): this;
    mockResolvedValue(value: Awaited<ReturnType<T>>): this;
    mockResolvedValueOnce(value: Awaited<ReturnType<T>>): this;
    mockRejectedValue(error: unknown): this;
    mockRejectedValueOnce(error: unknown): this;
  }
  export interface VitestUtils {
    fn<T extends Procedure = Procedure>(implementation?: T): Mock<T>;
    spyOn<O extends object, M extends keyof O>(object: O, method: M, accessType?: "get" | "set"): Mock<O[M] extends Procedure ? O[M] : Procedure>;
    isMockFunction(value: unknown): value is Mock;
    mocked<T>(value: T): T;
    clearAllMocks(): VitestUtils;
    resetAllMocks(): VitestUtils;
    restoreAllMocks(): VitestUtils;
    useFakeTimers(config?: { now?: number | Date; toFake?: string[] }): VitestUtils;
    useRealTimers(): VitestUtils;
    isFakeTimers(): boolean;
    advanceTimersByTime(ms: number): VitestUtils;
    advanceTimersByTimeAsync(ms: number): Promise<VitestUtils>;
    advanceTimersToNextTimer(steps?: number): VitestUtils;
    advanceTimersToNextTimerAsync(steps?: number): Promise<VitestUtils>;
    runAllTimers(): VitestUtils;
    runAllTimersAsync(): Promise<VitestUtils>;
    runOnlyPendingTimers(): VitestUtils;
    runOnlyPendingTimersAsync(): Promise<VitestUtils>;
    clearAllTimers(): VitestUtils;
    getTimerCount(): number;
    setSystemTime(time: number | string | Date): VitestUtils;
    getMockedSystemTime(): Date | null;
    getRealSystemTime(): number;
    stubGlobal(name: string | symbol, value: unknown): VitestUtils;
    unstubAllGlobals(): VitestUtils;
    stubEnv(name: string, value: unknown): VitestUtils;
    unstubAllEnvs(): VitestUtils;
    waitFor<T>(callback: () => T | Promise<T>, options?: number | { timeout?: number; interval?: number }): Promise<T>;
  }
  export const vi: VitestUtils;
  export const vitest: VitestUtils;
}

declare module "cloudflare:test" {
  /** Extend this (`interface ProvidedEnv extends Env {}`) as with vitest-pool-workers; `env` has `Env` anyway. */
  interface ProvidedEnv {}
  /** The project's vars, secrets and bindings (KV isolated per test). */
  export const env: ProvidedEnv & Env;
  /** The project's own worker (its `main`), called in the test's isolate. */
  export const SELF: {
    fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
    scheduled(options?: { scheduledTime?: number | Date; cron?: string }): Promise<{ outcome: "ok" | "exception"; noRetry: boolean }>;
    event(name: string, payload?: unknown): Promise<unknown>;
    run(input?: unknown): Promise<unknown>;
  };
  export function createExecutionContext(): ExecutionContext;
  export function waitOnExecutionContext(ctx: ExecutionContext): Promise<void>;
  export function createScheduledController(options?: { scheduledTime?: number | Date; cron?: string }): ScheduledController;
  /** One migration as vitest-pool-workers' readD1Migrations() gives it. */
  interface D1Migration { name: string; queries: string[] }
  /** Apply the migrations `db` has not recorded in `migrationsTableName` (default d1_migrations), each in one
   * batch. Without `migrations` (isoplay reads no vitest config, so `env.TEST_MIGRATIONS` is undefined): the
   * .sql files of the binding's migrations_dir. */
  export function applyD1Migrations(db: D1Database, migrations?: D1Migration[], migrationsTableName?: string): Promise<void>;

  type Matcher = string | RegExp | ((value: string) => boolean);
  interface MockScope { times(n: number): MockScope; persist(): MockScope; delay(ms: number): MockScope }
  interface ReplyCallbackOptions { path: string; method: string; headers: Record<string, string>; body: string | null; origin: string }
  interface MockInterceptor {
    reply(status: number, body?: unknown | ((opts: ReplyCallbackOptions) => unknown), options?: { headers?: Record<string, string> }): MockScope;
    reply(callback: (opts: ReplyCallbackOptions) => { statusCode: number; data?: unknown; responseOptions?: { headers?: Record<string, string> } }): MockScope;
    replyWithError(error: Error): MockScope;
    defaultReplyHeaders(headers: Record<string, string>): MockInterceptor;
    replyContentLength(): MockInterceptor;
  }
  interface MockPool {
    intercept(options: { path: Matcher; method?: Matcher; headers?: Record<string, Matcher> | ((headers: Record<string, string>) => boolean); body?: Matcher; query?: Record<string, unknown> }): MockInterceptor;
  }
  /** Outbound fetch mocks with undici MockAgent's API. */
  export const fetchMock: {
    get(origin: Matcher): MockPool;
    activate(): void;
    deactivate(): void;
    isMockActive(): boolean;
    disableNetConnect(): void;
    enableNetConnect(host?: Matcher): void;
    assertNoPendingInterceptors(): void;
    pendingInterceptors(): { method: string; origin: string; path: string; times: number; persist: boolean; consumed: number }[];
  };
}
