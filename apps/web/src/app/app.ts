import { ChangeDetectionStrategy, Component } from '@angular/core';
import { RouterModule } from '@angular/router';

/** The console's shell. Until the console's pages land, it points to what the server already offers. */
@Component({
  imports: [RouterModule],
  selector: 'pm-root',
  templateUrl: './app.html',
  styleUrl: './app.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class App {
  protected readonly title = 'Pieng Medidor';
}
