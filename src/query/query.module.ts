import { Module } from '@nestjs/common';
import { StorageModule } from 'src/storage/storage.module';
import { QueryController } from 'src/query/query.controller';
import { QueryService } from 'src/query/query.service';

/** The Prometheus-compatible query API over the push history (DESIGN §7). */
@Module({
  imports: [StorageModule],
  controllers: [QueryController],
  providers: [QueryService],
})
export class QueryModule {}
