// Workers KV, as isoplay's runtime provides it on `env.<BINDING>` for each
// [[kv_namespaces]] entry of isoplay.toml. Ambient declarations that follow
// @cloudflare/workers-types' KVNamespace (ReadableStream comes from the
// "WebWorker" lib of the project's tsconfig). Limits: keys <= 512 UTF-8 bytes,
// values <= 25 MiB, metadata <= 1024 bytes of JSON, expirationTtl >= 60 s,
// list limit <= 1000.

/** Options of `get` / `getWithMetadata`. */
interface KVNamespaceGetOptions<Type> {
  /** How to decode the value. */
  type: Type;
  /** Edge cache TTL in seconds (>= 60); accepted and ignored locally. */
  cacheTtl?: number;
}

/** Options of `put`. */
interface KVNamespacePutOptions {
  /** Absolute expiry, seconds since the UNIX epoch; at least 60 s in the future. */
  expiration?: number;
  /** Seconds to live, at least 60; wins over `expiration`. */
  expirationTtl?: number;
  /** Any JSON-serialisable value, at most 1024 bytes serialised. */
  metadata?: any | null;
}

/** Options of `list`. */
interface KVNamespaceListOptions {
  /** Page size, 1..1000 (default 1000). */
  limit?: number;
  /** Only keys starting with this prefix. */
  prefix?: string | null;
  /** The `cursor` of the previous page. */
  cursor?: string | null;
}

/** One key of a `list` page. */
interface KVNamespaceListKey<Metadata, Key extends string = string> {
  name: Key;
  /** Expiry in seconds since the UNIX epoch, when the key has one. */
  expiration?: number;
  /** The key's metadata, when it has some. */
  metadata?: Metadata;
}

/** A `list` page: keys in UTF-8 byte order; `cursor` continues an incomplete listing. */
type KVNamespaceListResult<Metadata, Key extends string = string> =
  | {
      list_complete: false;
      keys: KVNamespaceListKey<Metadata, Key>[];
      cursor: string;
      cacheStatus: string | null;
    }
  | {
      list_complete: true;
      keys: KVNamespaceListKey<Metadata, Key>[];
      cacheStatus: string | null;
    };

/** What `getWithMetadata` resolves to (`value` and `metadata` are null for a missing key). */
interface KVNamespaceGetWithMetadataResult<Value, Metadata> {
  value: Value | null;
  metadata: Metadata | null;
  cacheStatus: string | null;
}

/** A KV namespace binding. Every method returns a Promise; bad arguments reject it with a TypeError. */
interface KVNamespace<Key extends string = string> {
  get(key: Key, options?: Partial<KVNamespaceGetOptions<undefined>>): Promise<string | null>;
  get(key: Key, type: "text"): Promise<string | null>;
  get<ExpectedValue = unknown>(key: Key, type: "json"): Promise<ExpectedValue | null>;
  get(key: Key, type: "arrayBuffer"): Promise<ArrayBuffer | null>;
  get(key: Key, type: "stream"): Promise<ReadableStream | null>;
  get(key: Key, options?: KVNamespaceGetOptions<"text">): Promise<string | null>;
  get<ExpectedValue = unknown>(key: Key, options?: KVNamespaceGetOptions<"json">): Promise<ExpectedValue | null>;
  get(key: Key, options?: KVNamespaceGetOptions<"arrayBuffer">): Promise<ArrayBuffer | null>;
  get(key: Key, options?: KVNamespaceGetOptions<"stream">): Promise<ReadableStream | null>;

  getWithMetadata<Metadata = unknown>(
    key: Key,
    options?: Partial<KVNamespaceGetOptions<undefined>>,
  ): Promise<KVNamespaceGetWithMetadataResult<string, Metadata>>;
  getWithMetadata<Metadata = unknown>(
    key: Key,
    type: "text",
  ): Promise<KVNamespaceGetWithMetadataResult<string, Metadata>>;
  getWithMetadata<ExpectedValue = unknown, Metadata = unknown>(
    key: Key,
    type: "json",
  ): Promise<KVNamespaceGetWithMetadataResult<ExpectedValue, Metadata>>;
  getWithMetadata<Metadata = unknown>(
    key: Key,
    type: "arrayBuffer",
  ): Promise<KVNamespaceGetWithMetadataResult<ArrayBuffer, Metadata>>;
  getWithMetadata<Metadata = unknown>(
    key: Key,
    type: "stream",
  ): Promise<KVNamespaceGetWithMetadataResult<ReadableStream, Metadata>>;
  getWithMetadata<Metadata = unknown>(
    key: Key,
    options: KVNamespaceGetOptions<"text">,
  ): Promise<KVNamespaceGetWithMetadataResult<string, Metadata>>;
  getWithMetadata<ExpectedValue = unknown, Metadata = unknown>(
    key: Key,
    options: KVNamespaceGetOptions<"json">,
  ): Promise<KVNamespaceGetWithMetadataResult<ExpectedValue, Metadata>>;
  getWithMetadata<Metadata = unknown>(
    key: Key,
    options: KVNamespaceGetOptions<"arrayBuffer">,
  ): Promise<KVNamespaceGetWithMetadataResult<ArrayBuffer, Metadata>>;
  getWithMetadata<Metadata = unknown>(
    key: Key,
    options: KVNamespaceGetOptions<"stream">,
  ): Promise<KVNamespaceGetWithMetadataResult<ReadableStream, Metadata>>;

  put(
    key: Key,
    value: string | ArrayBuffer | ArrayBufferView | ReadableStream,
    options?: KVNamespacePutOptions,
  ): Promise<void>;

  delete(key: Key): Promise<void>;

  list<Metadata = unknown>(options?: KVNamespaceListOptions): Promise<KVNamespaceListResult<Metadata, Key>>;
}
