'use strict';
// `npx jest -c examples/testing/jest/jest.config.js`: the kit starts in setupFiles, in each test file's
// module registry, before the app's modules load.
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/../setup.js'],
  testMatch: ['<rootDir>/*.test.js'],
};
