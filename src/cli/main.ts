#!/usr/bin/env node
import { Command } from 'commander';
import { registerAgent } from './agent.command.js';
import { registerBackup } from './backup.command.js';
import { registerClientCommands } from './client.commands.js';
import { registerServe } from './serve.command.js';

const program = new Command();
program.name('charthouse').description('Charthouse: multi-tenant Helm registry manager').version('0.1.0');
registerServe(program);
registerClientCommands(program);
registerAgent(program);
registerBackup(program);

await program.parseAsync(process.argv);
