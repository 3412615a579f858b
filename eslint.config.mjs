// Type-aware lint of every TypeScript file (src, test, bench, tools): typescript-eslint's recommended type-checked
// rules, floating promises as errors, and one import order (packages, then `@/` aliases, then relative paths).
import js from '@eslint/js';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // TypeScript only: the few JavaScript files (jest's config, a bench helper loaded by -r) are configuration.
  {
    ignores: [
      'dist/**',
      'coverage/**',
      'node_modules/**',
      'src/generated/**',
      '.ci-data/**',
      '**/*.js',
      '**/*.mjs',
      'client/src/schema.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.mts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'simple-import-sort': simpleImportSort },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      'simple-import-sort/imports': ['error', { groups: [['^\\u0000', '^(node:|@?\\w)', '^@/', '^\\.']] }],
      'simple-import-sort/exports': 'error',
    },
  },
  {
    // Tests and benchmarks read the API's JSON answers (axios' `any`) and check their shape with assertions; typing
    // every answer would repeat the DTOs. The no-unsafe rules stay on for src, tools and the simulator's own code.
    files: ['test/**/*.spec.ts', 'test/**/*.e2e-spec.ts', 'test/**/*.int-spec.ts', 'test/factories/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
