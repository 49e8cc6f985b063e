// Vite's own types for what tests that keep docs true use: files imported as text
// (`import text from "…/file.md?raw"`) and `import.meta.glob` to list the repository's files.
/// <reference types="vite/client" />
