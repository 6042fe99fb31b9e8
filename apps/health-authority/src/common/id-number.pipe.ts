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
