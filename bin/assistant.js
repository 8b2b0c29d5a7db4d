#!/usr/bin/env node
// The installed command: everything lives in the compiled program (dist/), built on install.
import { main } from '../dist/main.js';

process.exitCode = await main();
