import nx from '@nx/eslint-plugin';

/**
 * Which project may import which. The simulator (libs/simulator) is for tests and the simulator app:
 * specs and src/testing may import it, the product's runtime code never.
 */
const simulatorFor = (testing) => (testing ? ['scope:simulator'] : []);
const boundaries = (testing) => [
  'error',
  {
    enforceBuildableLibDependency: true,
    allow: ['^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$'],
    depConstraints: [
      {
        sourceTag: 'scope:api',
        onlyDependOnLibsWithTags: ['scope:shared', 'scope:connectors', ...simulatorFor(testing)],
        bannedExternalImports: ['@angular/*'],
      },
      {
        sourceTag: 'scope:web',
        onlyDependOnLibsWithTags: ['scope:shared', 'scope:api-client', ...simulatorFor(testing)],
        bannedExternalImports: ['@nestjs/*', 'typeorm', 'sqlite3', 'pg', 'modbus-serial', 'serialport', 'class-validator'],
      },
      {
        // The simulator is the drivers' independent counterpart: it may share metric names, never register tables.
        sourceTag: 'scope:simulator',
        onlyDependOnLibsWithTags: ['scope:shared', 'scope:simulator'],
        bannedExternalImports: ['@nestjs/*', '@angular/*', 'typeorm'],
      },
      {
        sourceTag: 'scope:connectors',
        onlyDependOnLibsWithTags: ['scope:shared', ...simulatorFor(testing)],
        bannedExternalImports: ['@nestjs/*', '@angular/*', 'typeorm', 'sqlite3', 'pg'],
      },
      {
        sourceTag: 'scope:api-client',
        onlyDependOnLibsWithTags: ['scope:shared'],
        bannedExternalImports: ['@nestjs/*', 'typeorm'],
      },
      {
        sourceTag: 'scope:shared',
        onlyDependOnLibsWithTags: ['scope:shared'],
        bannedExternalImports: ['@nestjs/*', '@angular/*', 'typeorm', 'rxjs', 'class-validator'],
      },
    ],
  },
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    ignores: ['**/dist', '**/out-tsc'],
  },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.jsx'],
    rules: { '@nx/enforce-module-boundaries': boundaries(false) },
  },
  {
    files: ['**/*.spec.ts', '**/src/testing/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': boundaries(true) },
  },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.cts', '**/*.mts', '**/*.js', '**/*.jsx', '**/*.cjs', '**/*.mjs'],
    // Override or add rules here
    rules: {},
  },
];
