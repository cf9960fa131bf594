// A module that is not a Windmill script: it exports no `main` (test/local.test.ts).
export const answer = 42;
