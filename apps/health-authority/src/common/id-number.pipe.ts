import { Injectable, type PipeTransform } from '@nestjs/common';
import { malformed } from './errors';
import { ID_NUMBER, ID_NUMBER_MESSAGE } from './validation';

/** Validates an :idNumber path parameter the same way as in bodies. */
@Injectable()
export class IdNumberPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!ID_NUMBER.test(value)) throw malformed(ID_NUMBER_MESSAGE);
    return value;
  }
}

/** A transit card number as gates read it. */
@Injectable()
export class CardNoPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(value))
      throw malformed('cardNo must match ^[A-Za-z0-9_-]{1,64}$');
    return value;
  }
}
