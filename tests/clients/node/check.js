// Assertions shared by the Node client scripts: each prints one line per step and exits
// non-zero on the first mismatch, naming the step.
"use strict";

const { isDeepStrictEqual, inspect } = require("node:util");

function check(what, got, want) {
  if (!isDeepStrictEqual(got, want)) {
    console.log(`FAIL ${what}: got ${inspect(got)}, want ${inspect(want)}`);
    process.exit(1);
  }
  console.log(`ok   ${what}`);
}

// Expects `call` to reject; with a `code`, the registry's error_code (either client's error
// shape) must be that code.
async function expectError(what, code, call) {
  try {
    await call();
  } catch (e) {
    if (code !== null) {
      const got = e.errorCode ?? e.status ?? e.originalError?.error_code ?? e.response?.data?.error_code;
      check(what, got, code);
    } else {
      console.log(`ok   ${what}: ${e.message}`);
    }
    return;
  }
  console.log(`FAIL ${what}: no error, want ${code}`);
  process.exit(1);
}

function run(main) {
  main().then(
    () => console.log("all passed"),
    (e) => {
      console.log(`FAIL unexpected error: ${e.stack ?? e}`);
      process.exit(1);
    },
  );
}

// Requests the registry at `url` answered from its kept answers so far (its /metrics).
async function answerHits(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n")
    .find((l) => l.startsWith('warden_cache_requests_total{cache="answer",result="hit"} '));
  return line ? Number(line.split(" ").pop()) : 0;
}

module.exports = { answerHits, check, expectError, run };
