import { stringify } from 'csv-stringify/sync';
import { exceljs } from '../common/lazy-libraries';
import { PassThrough, Readable } from 'node:stream';
import type { ExportFormat, ExportLocale } from './dto/export.queries';

export type Cell = string | number | null;

/** Excel's last row is 1,048,576: a sheet takes its header and 1,048,575 rows, and the next rows go on a new sheet. */
export const XLSX_ROWS_PER_SHEET = 1_048_575;

/** What an XLSX writer lets pile up in its output before it waits for the client to read it. */
const XLSX_BUFFER_BYTES = 1 << 20;

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** A number as the locale writes it in a CSV: pt-BR with a decimal comma, never a thousands separator. */
export function csvNumber(value: number, locale: ExportLocale): string {
  const text = String(value);
  return locale === 'pt-BR' ? text.replace('.', ',') : text;
}

export interface TableFile {
  format: ExportFormat;
  locale: ExportLocale;
  header: string[];
  /** The rows, in batches (each batch becomes one write: a write per row would cost a syscall and a chunk each). */
  rows: AsyncIterable<Cell[][]>;
  /** XLSX: the name of the first sheet (the next ones add 2, 3, ...). */
  sheetName?: string;
  /** XLSX: rows per sheet (tests make it small). */
  rowsPerSheet?: number;
}

/**
 * A table as a CSV or XLSX byte stream that reads its rows only as fast as the client reads the file
 * (back-pressure end to end): memory stays the same whatever the number of rows.
 */
export function tableStream(file: TableFile): Readable {
  return file.format === 'csv' ? csvStream(file) : xlsxStream(file);
}

function csvStream({ locale, header, rows }: TableFile): Readable {
  const options = { delimiter: locale === 'pt-BR' ? ';' : ',', record_delimiter: 'windows' as const };
  const cell = (v: Cell) => (v === null ? '' : typeof v === 'number' ? csvNumber(v, locale) : v);
  async function* text() {
    yield stringify([header], { ...options, bom: locale === 'pt-BR' });
    for await (const batch of rows)
      yield stringify(
        batch.map((row) => row.map(cell)),
        options,
      );
  }
  // Readable.from asks for the next batch only when the client has taken what it holds.
  return Readable.from(text(), { objectMode: false, highWaterMark: 1 << 16 });
}

/**
 * exceljs's streaming writer: each committed row is written out (compressed) at once, and nothing of it
 * stays in memory. It does not wait for its output to be read, so the loop waits here whenever the
 * output holds more than XLSX_BUFFER_BYTES that the client has not taken yet.
 */
function xlsxStream({ header, rows, sheetName = 'data', rowsPerSheet = XLSX_ROWS_PER_SHEET }: TableFile): Readable {
  const out = new PassThrough({ highWaterMark: XLSX_BUFFER_BYTES });
  const book = new (exceljs().stream.xlsx.WorkbookWriter)({ stream: out, useStyles: false, useSharedStrings: false });
  let stopped = false;
  out.on('close', () => (stopped = true));
  const write = async () => {
    let sheetNo = 1;
    let sheet = book.addWorksheet(sheetName);
    sheet.addRow(header).commit();
    let inSheet = 0;
    for await (const batch of rows) {
      for (const row of batch) {
        if (inSheet === rowsPerSheet) {
          sheet.commit();
          sheet = book.addWorksheet(`${sheetName} ${++sheetNo}`);
          sheet.addRow(header).commit();
          inSheet = 0;
        }
        sheet.addRow(row).commit();
        inSheet++;
      }
      // Let the compressor run, and wait while the client has not read what is already written
      // ('drain' alone would not do: it comes only after a write was refused, and the zip writer's may not have been).
      await new Promise((resolve) => setImmediate(resolve));
      while (!stopped && out.writableLength + out.readableLength > XLSX_BUFFER_BYTES) await new Promise((resolve) => setTimeout(resolve, 5));
      if (stopped) return; // leaving the loop closes the row source
    }
    sheet.commit();
    await book.commit();
  };
  write().catch((err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))));
  return out;
}
