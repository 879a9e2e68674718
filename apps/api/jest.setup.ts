// Nearly every API spec starts the real app in beforeAll (migrations, two argon2 hashes, a login).
// That takes about 1 s on a quiet machine and more than jest's default 5 s on a busy 2-core one,
// where 37 of 305 tests once failed in those hooks alone. A hook or test that truly hangs still
// fails, after 30 s. (Set here, per project: jest reads `testTimeout` only from the root config.)
jest.setTimeout(30_000);
