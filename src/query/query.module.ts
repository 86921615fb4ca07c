import { Module } from '@nestjs/common';
import { StorageModule } from 'src/storage/storage.module';
import { ScrapeModule } from 'src/scrape/scrape.module';
import { QueryController } from 'src/query/query.controller';
import { QueryService } from 'src/query/query.service';
import { ExemplarService } from 'src/query/exemplar.service';

/** The Prometheus-compatible query API over the push history (DESIGN §7). */
@Module({
  imports: [StorageModule, ScrapeModule],
  controllers: [QueryController],
  providers: [QueryService, ExemplarService],
})
export class QueryModule {}
