module.exports = {
  displayName: 'api',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  coverageDirectory: '../../coverage/apps/api',
  // Nearly every spec starts the real app in beforeAll (migrations, two argon2 hashes, a login).
  // That takes about 1 s on a quiet machine and more than jest's default 5 s on a busy 2-core one,
  // where 37 of 305 tests once failed in those hooks alone. A hook or test that truly hangs still
  // fails, after 30 s.
  testTimeout: 30_000,
};
