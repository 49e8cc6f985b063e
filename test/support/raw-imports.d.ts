/** Files imported as text (`import text from "…/file.md?raw"`), for tests that keep docs true. */
declare module "*?raw" {
  const text: string;
  export default text;
}
