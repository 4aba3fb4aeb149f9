// Lint rules that keep the design's promises (see ../shared/DESIGN.md §3):
// - only src/clock.ts reads the time, only src/rng.ts makes random values, and only the config
//   loader reads the environment;
// - imports flow one way: cli → http | worker → services → storage → model.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const timeAndRandomness = [
  { object: 'Date', property: 'now', message: 'Take a Clock (src/clock.ts) instead.' },
  { object: 'Math', property: 'random', message: 'Take an Rng (src/rng.ts) instead.' },
  { object: 'crypto', property: 'randomUUID', message: 'Take an Rng (src/rng.ts) instead.' },
  {
    object: 'process',
    property: 'env',
    message: 'Read the environment only in the config loader.',
  },
];
const argumentlessDate = {
  selector: "NewExpression[callee.name='Date'][arguments.length=0]",
  message: 'Take a Clock (src/clock.ts) instead of `new Date()`.',
};

/** Forbids importing the given project folders from the files a block applies to. */
const layer = (...forbidden) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: forbidden.map((folder) => ({
        group: [`**/${folder}/**`, `**/${folder}/*.ts`],
        message: `This layer must not import from src/${folder}/ (imports flow cli → http | worker → services → storage → model).`,
      })),
    },
  ],
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'test-artifacts/**', 'docs/**', '.cache/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ['bin/**/*.js', 'eslint.config.js'], languageOptions: { globals: { process: 'readonly' } } },
  { files: ['share/assets/**/*.js'], languageOptions: { globals: { document: 'readonly' } } },
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-properties': ['error', ...timeAndRandomness],
      'no-restricted-syntax': ['error', argumentlessDate],
      'no-restricted-globals': [
        'error',
        { name: 'crypto', message: 'Use node:crypto through src/rng.ts.' },
      ],
    },
  },
  {
    files: ['src/clock.ts', 'src/rng.ts'],
    rules: { 'no-restricted-properties': 'off', 'no-restricted-syntax': 'off' },
  },
  {
    // The config loader is the one place that reads the environment.
    files: ['src/config/load.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...timeAndRandomness.filter((r) => r.object !== 'process'),
      ],
    },
  },
  {
    files: ['src/model/**/*.ts'],
    rules: layer(
      'storage',
      'http',
      'worker',
      'cli',
      'services',
      'matrix',
      'upstream',
      'email',
      'crypto',
      'config',
      'oauth2',
      'telemetry',
    ),
  },
  {
    files: ['src/storage/**/*.ts'],
    rules: layer('http', 'worker', 'cli', 'services', 'matrix', 'upstream', 'email', 'oauth2'),
  },
  { files: ['src/services/**/*.ts'], rules: layer('http', 'worker', 'cli') },
  { files: ['src/http/**/*.ts'], rules: layer('cli', 'worker') },
  { files: ['src/worker/**/*.ts'], rules: layer('cli', 'http') },
  {
    files: [
      'src/config/**/*.ts',
      'src/crypto/**/*.ts',
      'src/oauth2/**/*.ts',
      'src/telemetry/**/*.ts',
    ],
    rules: layer('cli', 'http', 'worker'),
  },
);
