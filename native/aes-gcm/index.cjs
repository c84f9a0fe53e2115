"use strict";
// The addon as node-gyp built it at install; named one by one so that ES module imports see each export.
const addon = require("./build/Release/aes_gcm.node");
exports.create = addon.create;
exports.seal = addon.seal;
exports.open = addon.open;
