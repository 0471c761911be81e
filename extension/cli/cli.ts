// placeholder until the CLI lands (helper "host")
process.exitCode = 0;
