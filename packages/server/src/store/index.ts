/** The SQLite store: opening with migrations, and backup/restore. No identity logic lives here. */
export { openDatabase, configureConnection, BUSY_TIMEOUT_MS } from './database.js';
export { MIGRATIONS, SCHEMA_VERSION, APPLICATION_ID, migrate, appliedVersion, type Migration } from './migrations.js';
export { backupDatabase, verifyBackup, restoreDatabase, type BackupInfo, type RestoreResult } from './backup.js';
export { UNIX_LOG_ID_SETTING, rotateUnixLogId } from './unix-change-log.js';
