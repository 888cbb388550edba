// ESLint flat config: a short, type-aware rule set aimed at the bugs a broker cannot afford
// (a promise whose rejection nobody handles ends the process), `any` leaking through boundaries,
// loose equality, and import hygiene. Layout is Prettier's job: eslint-config-prettier goes last
// and turns off any rule that would fight it.
import { defineConfig } from 'eslint/config';
import eslintConfigPrettier from 'eslint-config-prettier/flat';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      'dist/**',
      'client/dist/**',
      'bench/results/**',
      '.scratch/**',
      'config/examples/certs/**',
      'coverage/**',
    ],
  },
  {
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
  },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.cts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        // Types from the nearest tsconfig.json: the root one takes in every TypeScript directory but
        // console/, whose own (browser, JSX) tsconfig.json covers the admin console.
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: {
      '@typescript-eslint': tseslint.plugin,
      'import-x': importX,
    },
    rules: {
      // Promises. A floating promise that rejects is an unhandled rejection: Node ends the
      // process. `void p` is allowed, and means "p cannot reject" (say why when it is not plain).
      '@typescript-eslint/no-floating-promises': 'error',
      // An async callback where a void one is expected (socket and timer handlers): nobody sees
      // its rejection either.
      '@typescript-eslint/no-misused-promises': 'error',
      // `await` on something that is not a promise is a misunderstanding of the callee. Mixed
      // arrays to Promise.all are deliberate (some answers are synchronous).
      '@typescript-eslint/await-thenable': ['error', { allowMixedPromiseArrays: true }],

      // Types: no `any` at boundaries.
      '@typescript-eslint/no-explicit-any': 'error',

      // Imports: first, one statement per module (types inline: `import { a, type B }`), type-only
      // imports marked as such, none unused.
      'import-x/first': 'error',
      'import-x/no-duplicates': ['error', { 'prefer-inline': true }],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true, caughtErrors: 'none' },
      ],

      // Plain correctness.
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // The broker logs through pino; a stray console.log is debugging left behind.
      'no-console': 'error',
    },
  },
  {
    // Programs that talk to a terminal: benchmarks, scripts, the CLI, tests.
    files: ['bench/**', 'scripts/**', 'server/cli.ts', 'server/cli/**', 'test/**'],
    rules: {
      'no-console': 'off',
    },
  },
  eslintConfigPrettier,
);
