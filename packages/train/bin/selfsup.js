#!/usr/bin/env node
// A committed entry, so that pnpm can link the bin before the package is built.
import '../dist/cli.js';
