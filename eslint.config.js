// Flat config shared by every package; kept small on purpose.
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: ["**/node_modules/**", "**/generated/**", ".cache/**", "**/dist/**", "docs/**"],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-restricted-syntax": [
        "error",
        { selector: "ExportDefaultDeclaration", message: "Use named exports." },
      ],
    },
  },
  {
    // Configuration is parsed once, in packages/config; apps and packages take it as arguments.
    files: ["apps/*/src/**/*.ts", "packages/*/src/**/*.ts"],
    ignores: ["packages/config/src/**", "**/cli/**", "**/*.test.ts", "apps/worker/src/redrive.ts"],
    rules: {
      "no-restricted-properties": [
        "error",
        { object: "process", property: "env", message: "Read configuration through loadEnv() in @order-flow/config." },
      ],
    },
  },
  {
    // The domain is pure: no I/O.
    files: ["packages/domain/src/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["node:*", "fs", "net", "http", "crypto"], message: "The domain does no I/O." },
            { group: ["ioredis", "bullmq", "pg", "@prisma/*", "@order-flow/db", "@order-flow/stock"], message: "The domain imports zod only." },
          ],
        },
      ],
    },
  },
  {
    files: ["prisma.config.ts", "eslint.config.js", "vitest.config.ts"],
    rules: { "no-restricted-syntax": "off" },
  },
);
