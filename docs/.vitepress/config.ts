import { defineConfig } from "vitepress";

export default defineConfig({
  title: "Switchyard",
  description: "Plugin-based LLM API gateway with config-as-code",
  cleanUrls: true,
  themeConfig: {
    nav: [
      { text: "Guide", link: "/guide/getting-started" },
      { text: "Config", link: "/guide/configuration" },
    ],
    sidebar: [
      {
        text: "Guide",
        items: [
          { text: "Getting started", link: "/guide/getting-started" },
          { text: "Configuration", link: "/guide/configuration" },
          { text: "CLI", link: "/guide/cli" },
          { text: "Admin API", link: "/guide/admin-api" },
          { text: "Users and sessions", link: "/guide/users" },
          { text: "Console and portal", link: "/guide/console" },
          { text: "Operations", link: "/guide/operations" },
          { text: "Deployment", link: "/guide/deployment" },
          { text: "Migrating", link: "/guide/migration" },
          { text: "Relay", link: "/guide/relay" },
          { text: "Translation", link: "/guide/translation" },
          { text: "Benchmarks", link: "/guide/benchmarks" },
          { text: "Writing a plugin", link: "/guide/writing-a-plugin" },
          { text: "Example plugin", link: "/guide/example-plugin" },
          { text: "Security", link: "/guide/security" },
          { text: "Security cases", link: "/guide/security-cases" },
        ],
      },
      {
        text: "Plugins",
        items: [
          { text: "api-key", link: "/auth/api-key" },
          { text: "jwt-admin", link: "/auth/jwt-admin" },
          { text: "totp", link: "/auth/totp" },
          { text: "linuxdo-connect", link: "/auth/linuxdo-connect" },
          { text: "new-api-binding", link: "/auth/new-api-binding" },
          { text: "anthropic-api", link: "/providers/anthropic-api" },
          { text: "openai-compatible", link: "/providers/openai-compatible" },
          { text: "claude-oauth", link: "/providers/claude-oauth" },
          { text: "codex-oauth", link: "/providers/codex-oauth" },
          { text: "openrouter-pool", link: "/providers/openrouter-pool" },
        ],
      },
      {
        text: "Clients",
        items: [
          { text: "Claude Code", link: "/clients/claude-code" },
          { text: "Codex CLI", link: "/clients/codex-cli" },
          { text: "SDKs", link: "/clients/sdks" },
          { text: "Chat front ends", link: "/clients/chat-frontends" },
        ],
      },
      {
        text: "Storage drivers",
        items: [
          { text: "fs", link: "/drivers/fs" },
          { text: "memory", link: "/drivers/memory" },
          { text: "redis", link: "/drivers/redis" },
          { text: "sqlite", link: "/drivers/sqlite" },
        ],
      },
    ],
  },
});
