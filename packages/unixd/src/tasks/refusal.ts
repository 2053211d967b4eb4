/**
 * Why ward-unixd-tasks says no. Every refusal carries the protocol status the caller sees and a
 * sentence for its log (and, through ward-unixd, for the PAM session message): BAD_REQUEST for a
 * request that breaks the rules whatever the disk holds, DENIED when the disk holds something
 * this daemon must not touch, ERROR when the system call itself failed.
 */
import { STATUS } from '@ward/proto';

export type RefusalStatus = typeof STATUS.BAD_REQUEST | typeof STATUS.DENIED | typeof STATUS.ERROR;

export class TaskRefusal extends Error {
  constructor(
    readonly status: RefusalStatus,
    message: string,
  ) {
    super(message);
    this.name = 'TaskRefusal';
  }
}

export function badRequest(message: string): TaskRefusal {
  return new TaskRefusal(STATUS.BAD_REQUEST, message);
}

export function denied(message: string): TaskRefusal {
  return new TaskRefusal(STATUS.DENIED, message);
}
