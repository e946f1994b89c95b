/**
 * PatchError: a patch body that is malformed or does not apply to the object. All three patch
 * formats (JSON patch, JSON merge patch, strategic merge patch) throw it; the HTTP layer turns it
 * into a Status with the code kube-apiserver answers for the same failure.
 */

/**
 * REJECTED_MESSAGE is the Status message kube-apiserver sends with a 422 for a patch that does
 * not apply: it builds that Status without the underlying error text, so clients such as kubectl
 * print only "The request is invalid: the server rejected our request due to an error in our request".
 */
export const REJECTED_MESSAGE = 'the server rejected our request due to an error in our request';

/**
 * PatchError carries the error text of the patch library kube-apiserver uses (evanphx/json-patch,
 * apimachinery strategicpatch) and the HTTP code it answers with: 400 BadRequest for a malformed
 * patch, 422 Invalid for one that does not apply.
 */
export class PatchError extends Error {
  /** code is 400 (BadRequest) or 422 (Invalid). */
  readonly code: 400 | 422;

  constructor(message: string, code: 400 | 422) {
    super(message);
    this.name = 'PatchError';
    this.code = code;
  }

  /** reason is the Status reason that goes with code. */
  get reason(): 'BadRequest' | 'Invalid' {
    return this.code === 400 ? 'BadRequest' : 'Invalid';
  }

  /**
   * statusMessage is the Status message kube-apiserver sends: the error text for a 400, and
   * REJECTED_MESSAGE for a 422 (whose details it leaves empty).
   */
  get statusMessage(): string {
    return this.code === 400 ? this.message : REJECTED_MESSAGE;
  }
}
