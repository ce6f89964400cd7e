// Run configurable-http-proxy with an idle timeout on its upstream keep-alive connections.
//
//   node proxy_idle_upstream.js IDLE_MS /path/to/configurable-http-proxy [its arguments ...]
//
// configurable-http-proxy keeps connections to its targets (hub, services, sandboxes) alive in
// an http.Agent without a timeout: an idle connection stays in the pool until the target closes
// it. A target that closes idle connections itself (uvicorn: after its keep-alive timeout) races
// the proxy: a request written on the connection as the target's FIN arrives fails with
// "socket hang up" and the user gets a 503. With IDLE_MS shorter than every target's keep-alive
// timeout, the proxy is always the side that closes an idle connection, and it never reuses one
// it has closed. Node's agent destroys a pooled socket on its timeout only while the socket is
// idle; a request in flight is not affected.
"use strict";

const http = require("http");
const https = require("https");
const path = require("path");
const url = require("url");

const [idleText, proxyScript, ...proxyArgs] = process.argv.slice(2);
const idleMs = Number.parseInt(idleText, 10);
if (!Number.isInteger(idleMs) || idleMs <= 0 || !proxyScript) {
  console.error("usage: node proxy_idle_upstream.js IDLE_MS CONFIGURABLE_HTTP_PROXY [ARGS ...]");
  process.exit(2);
}

for (const module of [http, https]) {
  const Base = module.Agent;
  module.Agent = class IdleTimeoutAgent extends Base {
    constructor(options = {}) {
      super(options.keepAlive && !options.timeout ? { ...options, timeout: idleMs } : options);
    }
  };
}

// ES modules importing a named export ({ Agent } from "http") see the subclass too.
require("module").syncBuiltinESMExports();

// configurable-http-proxy 5.x is an ES module: import() loads it on every Node version (require()
// of an ES module needs Node >= 20.19; Debian 12's Node is 18).
const script = path.resolve(proxyScript);
process.argv = [process.argv[0], script, ...proxyArgs];
import(url.pathToFileURL(script).href).catch((error) => {
  console.error(error);
  process.exit(1);
});
