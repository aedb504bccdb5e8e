import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

// The rings of docs/ARCHITECTURE.md, checked on every `npm run lint`.
//
// Folder rings use import-x's `no-restricted-paths`: it compares the *resolved* file of each import
// (static, `import type` and dynamic `import()` alike) with the zones below, so `../../sync/x.js` and
// `../sync/x.js` are the same path to it, and a new folder is caught without a new pattern.
// `no-restricted-imports` only sees the import string, which for relative imports says little about
// where the file is. The Kysely rule is about a package name and must let `import type` through, which
// is exactly what `@typescript-eslint/no-restricted-imports` with `allowTypeImports` does.

/** The folders a client-side program (the CLI, later the agent) may import: never server code. */
const clientSideRing = (folder, extraAllowed = []) => ({
  target: `./src/${folder}`,
  from: './src',
  except: [`./${folder}`, './client', './shared', './protocol', ...extraAllowed],
  message: `src/${folder} runs on the user's machine: it may import only src/${folder}, src/client, src/shared and src/protocol${extraAllowed.length > 0 ? ` (and ${extraAllowed.map((f) => `src/${f.slice(2)}`).join(', ')})` : ''} (docs/ARCHITECTURE.md).`,
});

const ringZones = [
  {
    target: './src/protocol',
    from: './src',
    except: ['./protocol', './shared'],
    message: 'src/protocol is pure: it may import only src/protocol and src/shared (docs/ARCHITECTURE.md).',
  },
  // `charthouse agent` loads the agent (by import(), like serve loads the app).
  clientSideRing('cli', ['./agent']),
  // The agent pulls from protected registries itself, with the server's own upstream client (SSRF
  // policy, credential scoping, TLS, OCI sessions) rather than a second one.
  clientSideRing('agent', ['./upstream']),
  {
    // Sync writes into the catalog; the catalog never reaches back into sync (they once imported
    // each other: STYLE.md's "one writer per table" lesson).
    target: './src/catalog',
    from: './src/sync',
    message: 'src/catalog may not import src/sync: sync depends on the catalog, not the other way round.',
  },
];

/**
 * Modules that do I/O, which src/protocol may not import: STYLE.md's "protocol code is pure" (no I/O,
 * no framework imports), so server, CLI and agent can all use it. Node's built-ins are listed with and
 * without the `node:` prefix, since both spellings load the same module.
 */
const ioBuiltins = ['fs', 'fs/promises', 'net', 'http', 'https', 'child_process'];
const ioPackages = ['undici', 'pg', 'better-sqlite3', 'kysely'];
const ioModules = [...ioBuiltins.flatMap((m) => [`node:${m}`, m]), ...ioPackages];
const pureProtocolMessage =
  'src/protocol is pure (STYLE.md: "Protocol code is pure", no I/O): read files, sockets and databases at the edge (src/cli, a service or a repository) and pass the bytes in.';

export default tseslint.config(
  { ignores: ['dist/', 'data/', 'node_modules/', 'coverage/', 'test-output/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Type-aware rules. The project service gives each file the nearest tsconfig.json: the root one
    // (src, test, scripts, bench), web/tsconfig.json (the console) and test/browser/tsconfig.json
    // (DOM types for page.evaluate); a TypeScript file in none of them is an error, not a silent skip.
    files: ['**/*.{ts,tsx}'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A promise nobody awaits loses its rejection (an unhandled rejection ends the process) and its
      // ordering. Fire-and-forget is written `void promise` beside a comment saying who handles errors.
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    files: ['**/*.{ts,tsx}'],
    plugins: { 'import-x': importX },
    settings: {
      // import-x reads a dependency's exports only for these extensions, with this parser (without
      // them every .ts dependency is opaque to it and `no-cycle` finds nothing).
      'import-x/extensions': ['.ts', '.tsx', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      // Resolves `./x.js` to `./x.ts` as NodeNext does, with the same tsconfigs as the type checker.
      'import-x/resolver-next': [
        createTypeScriptImportResolver({
          project: ['tsconfig.json', 'web/tsconfig.json', 'test/browser/tsconfig.json'],
          noWarnOnMultipleProjects: true,
        }),
      ],
    },
    rules: {
      // A runtime import cycle makes module evaluation order matter (a class used before its module
      // finished loading is `undefined`). `import type` edges are erased at runtime and not counted.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'import-x/no-restricted-paths': ['error', { zones: ringZones }] },
  },
  {
    // No I/O in protocol code, tests excepted (they read golden files). This is the core
    // `no-restricted-imports`, not the typescript-eslint one of the Kysely rule below: flat config gives
    // a file one set of options per rule, so reusing that rule here would drop the Kysely restriction
    // for these files. It refuses `import type` too, which is right here. A literal dynamic `import()`
    // is caught by the syntax rule (no-restricted-imports does not look at those).
    files: ['src/protocol/**/*.ts'],
    ignores: ['src/protocol/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ioModules.map((name) => ({ name, message: pureProtocolMessage })),
          patterns: [{ group: ioPackages.map((name) => `${name}/*`), message: pureProtocolMessage }],
        },
      ],
      'no-restricted-syntax': [
        'error',
        ...ioModules.map((name) => ({
          selector: `ImportExpression[source.value='${name}']`,
          message: pureProtocolMessage,
        })),
      ],
    },
  },
  {
    // The one door from the CLI into the server: `charthouse serve` (one binary, roles by flag). It may
    // read the server configuration and start src/app.ts, and it loads the app with a dynamic
    // `import()` so the other commands never load Fastify or the database drivers; a static import of
    // the app here would undo that, so it is refused too.
    files: ['src/cli/serve.command.ts'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            ringZones[0],
            clientSideRing('cli', ['./app.ts', './config', './agent']),
            clientSideRing('agent', ['./upstream']),
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value='../app.js']",
          message: 'Load the server with `await import("../app.js")` inside the serve action.',
        },
      ],
    },
  },
  {
    // `charthouse backup` / `restore` run beside the server with its configuration: they may read it
    // and load src/backup, by a dynamic `import()` inside the action (as serve loads the app), so the
    // other commands never load the database drivers.
    files: ['src/cli/backup.command.ts'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            ringZones[0],
            clientSideRing('cli', ['./backup', './config', './agent']),
            clientSideRing('agent', ['./upstream']),
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportDeclaration[source.value=/^\\.\\.\\/backup\\//]',
          message: 'Load src/backup with `await import("../backup/backup.js")` inside the action.',
        },
      ],
    },
  },
  {
    // Only the storage ring talks to the database: repositories and src/storage. Types may be named
    // anywhere (a service may pass a `Transaction` through), but a value import (`sql`, `Kysely`,
    // `CompiledQuery`) is where queries get built. The table types of src/storage/schema.ts go with
    // them: a `Kysely<Database>` handle held outside a repository is a query waiting to be written.
    files: ['src/**/*.ts'],
    ignores: [
      'src/**/*.repository.ts',
      'src/storage/**',
      // The PostgreSQL blob store is the repository of the blob tables (a blob store is a narrow
      // put/get/has/delete interface, so it keeps its store name).
      'src/blobs/pg-blob-store.ts',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'kysely',
              allowTypeImports: true,
              message:
                'Only *.repository.ts files and src/storage import Kysely values (import type is fine).',
            },
          ],
          patterns: [
            {
              group: ['**/storage/schema.js'],
              message:
                'The table types belong to the storage ring: query through a *.repository.ts file, not a Kysely<Database> held here.',
            },
          ],
        },
      ],
    },
  },
  {
    // The web console: React's hook rules (and the React Compiler's checks), and no Node globals.
    files: ['web/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat['recommended-latest'],
    languageOptions: {
      globals: { window: 'readonly', document: 'readonly', console: 'readonly', URL: 'readonly' },
    },
    rules: {
      ...reactHooks.configs.flat['recommended-latest'].rules,
      'react-hooks/exhaustive-deps': 'error',
      'no-restricted-globals': ['error', 'process', 'Buffer'],
    },
  },
);
