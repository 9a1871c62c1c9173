import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** What the page's scripts (src/web/static, type-checked with tsconfig.web.json) may use of the browser. */
const BROWSER_GLOBALS = [
  'window', 'document', 'location', 'console', 'fetch', 'WebSocket', 'URL', 'URLSearchParams', 'Blob', 'createImageBitmap',
  'setTimeout', 'clearTimeout', 'requestAnimationFrame', 'Node', 'HTMLElement', 'HTMLInputElement', 'HTMLTextAreaElement',
  'HTMLDetailsElement', 'HTMLCanvasElement', 'ImageData', 'TextEncoder', 'TextDecoder',
];

export default tseslint.config(
  { ignores: ['dist/', 'scratch/', 'node_modules/', 'models/generated/', '.gpu*/', 'patches/**/*.py', 'src/web/static/vendor/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/web/static/**/*.js'],
    languageOptions: { globals: Object.fromEntries(BROWSER_GLOBALS.map((name) => [name, 'readonly'])) },
  },
);
