// Creates .dev.vars from .dev.vars.example on first `npm run dev`, so the README's dev key works
// on a fresh clone. An existing .dev.vars is never touched.
import { copyFileSync, existsSync } from "node:fs";

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("Created .dev.vars from .dev.vars.example (dev admin key: sk_dev_admin)");
}
