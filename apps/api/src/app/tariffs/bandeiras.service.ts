import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Between, Repository } from 'typeorm';
import { InvalidInputError, NotFoundError } from '../common/domain-errors';
import { BandeiraResponse } from './dto/bandeira.response';
import { PutBandeiraDto } from './dto/bandeira.dto';
import { Bandeira } from './entities/bandeira.entity';
import { MONTH_PATTERN } from './tariff-terms';

/** Months a listing may span (twenty years). */
const MAX_MONTHS = 240;

/** The months from `from` to `to`, both 'YYYY-MM', in order. */
export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  let [y, m] = from.split('-').map(Number);
  const [ty, tm] = to.split('-').map(Number);
  while (y < ty || (y === ty && m <= tm)) {
    out.push(`${y}-${String(m).padStart(2, '0')}`);
    if (++m > 12) [y, m] = [y + 1, 1];
  }
  return out;
}

/** Bandeiras tarifárias by month: the whole platform's (ANEEL sets one for the country), written by platform staff. */
@Injectable()
export class BandeirasService {
  constructor(@InjectRepository(Bandeira) private readonly bandeiras: Repository<Bandeira>) {}

  /** Refuses (400 naming `month`) anything but 'YYYY-MM'. */
  static checkMonth(month: string): string {
    if (!MONTH_PATTERN.test(month)) throw InvalidInputError.forFields([{ field: 'month', message: 'must be a month YYYY-MM (2026-11)' }]);
    return month;
  }

  /** Every month from `from` to `to`, verde (adder 0, `set: false`) where none was set. */
  async list(from: string, to: string): Promise<BandeiraResponse[]> {
    if (from > to) throw InvalidInputError.forFields([{ field: 'to', message: `must not be before from (${from})` }]);
    const months = monthsBetween(from, to);
    if (months.length > MAX_MONTHS) throw InvalidInputError.forFields([{ field: 'to', message: `must be at most ${MAX_MONTHS} months after from` }]);
    const set = new Map((await this.bandeiras.findBy({ month: Between(from, to) })).map((b) => [b.month, b]));
    return months.map((month) => {
      const b = set.get(month);
      return b ? { month, flag: b.flag, adderPer100kWh: b.adderPer100kWh, set: true } : { month, flag: 'verde', adderPer100kWh: 0, set: false };
    });
  }

  async put(month: string, dto: PutBandeiraDto): Promise<BandeiraResponse> {
    BandeirasService.checkMonth(month);
    await this.bandeiras.save({ month, flag: dto.flag, adderPer100kWh: dto.adderPer100kWh, updatedAt: Date.now() });
    return { month, flag: dto.flag, adderPer100kWh: dto.adderPer100kWh, set: true };
  }

  async remove(month: string): Promise<void> {
    BandeirasService.checkMonth(month);
    const { affected } = await this.bandeiras.delete({ month });
    if (!affected) throw new NotFoundError(`No bandeira is set for ${month} (it counts as verde)`);
  }
}
