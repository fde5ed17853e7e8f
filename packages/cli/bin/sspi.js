#!/usr/bin/env node
// Runs src/bin.ts through tsx (TypeScript sources, no build step).
import { register } from "tsx/esm/api"

register()
await import(new URL("../src/bin.ts", import.meta.url).href)
