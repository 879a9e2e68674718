import type Holidays from 'date-holidays';
import type PDFDocument from 'pdfkit';

/**
 * Libraries loaded on first use instead of at start. Together they take seconds to load (mathjs
 * alone about 2 s in a test process) and most requests never need them: the expression language
 * and regressions (mathjs), XLSX exports (exceljs), the PDF report (pdfkit) and Brazil's holidays
 * (date-holidays). Starting the server, and each test that starts it, no longer waits for them.
 */
function onFirstUse<T>(load: () => T): () => T {
  let loaded: { value: T } | undefined;
  return () => (loaded ??= { value: load() }).value;
}

export const mathjs = onFirstUse(() => require('mathjs') as typeof import('mathjs'));
export const exceljs = onFirstUse(() => require('exceljs') as typeof import('exceljs'));
export const pdfDocument = onFirstUse(() => require('pdfkit') as typeof PDFDocument);
export const dateHolidays = onFirstUse(() => require('date-holidays') as typeof Holidays);
